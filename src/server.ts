import { McpServer } from '@modelcontextprotocol/server';
import { AppError } from './errors.js';
import type { Logger } from './log.js';
import { toToolError } from './tools/result.js';
import type { RuntimeInfo, ToolContext, ToolDefinition } from './tools/tool.js';
import type { GraphClient } from './graph/client.js';
import type { TokenBroker } from './auth/broker.js';

export const SERVER_NAME = 'm365-copilot-mcp';

/** Everything built once per process; buildServer only wires it into a fresh McpServer. */
export interface ServerRuntime {
  graph: GraphClient;
  appGraph: GraphClient;
  broker: TokenBroker;
  environment: RuntimeInfo;
  log: Logger;
}

const INSTRUCTIONS =
  'Tools for Microsoft 365 Copilot: copilot_retrieve grounds answers in SharePoint/OneDrive/connector content the user can read (cite the urls); ' +
  'copilot_meeting_insights returns Teams meeting notes, action items and mentions; copilot_export_interactions exports Copilot prompts and responses for compliance; ' +
  'copilot_status says who is signed in. When a tool answers AuthPending, show the user the sign-in URL and code, then call the tool again.';

/** What tools/list shows; known before any endpoint is, so the protocol can answer at once. */
export interface ServerSurface {
  version: string;
  tools: ToolDefinition[];
}

/**
 * Pure and cheap: no I/O. stdio calls it once per connection, HTTP once per request. The runtime may
 * still be starting (the in-process emulator of --demo): tool calls wait for it, initialize does not.
 */
export function buildServer(surface: ServerSurface, runtimeReady: ServerRuntime | Promise<ServerRuntime>): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: surface.version }, { capabilities: { tools: {} }, instructions: INSTRUCTIONS });
  for (const tool of surface.tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      },
      async (args, sdkCtx) => {
        const started = Date.now();
        const runtime = await runtimeReady;
        const log = runtime.log.child({ tool: tool.name });
        const progressToken = sdkCtx.mcpReq._meta?.progressToken;
        const ctx: ToolContext = {
          graph: runtime.graph,
          appGraph: runtime.appGraph,
          environment: runtime.environment,
          signal: sdkCtx.mcpReq.signal,
          log,
          async whoAmI(scopes) {
            const grant = await runtime.broker.getToken({ flow: 'delegated', scopes }, sdkCtx.mcpReq.signal);
            return { account: grant.account ?? (await runtime.broker.currentAccount()), scopes: grant.scopes, expiresOn: grant.expiresOn };
          },
          async progress(progress, total, message) {
            if (progressToken === undefined) return;
            await sdkCtx.mcpReq.notify({
              method: 'notifications/progress',
              params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
            });
          },
        };
        try {
          const answer = await tool.handle(args as never, ctx);
          log.info('tool call done', { ms: Date.now() - started });
          return { content: [{ type: 'text' as const, text: answer.text }], structuredContent: answer.structured as Record<string, unknown> };
        } catch (err) {
          if (!(err instanceof AppError)) log.error('tool call crashed (bug)', { ms: Date.now() - started, error: err, stack: (err as Error)?.stack });
          const result = toToolError(err);
          log.warn('tool call failed', { ms: Date.now() - started, code: (err as AppError).code, error: (err as Error).message });
          return result;
        }
      },
    );
  }
  return server;
}
