import { McpServer, type InputRequiredResult } from '@modelcontextprotocol/server';
import { AppError } from '../errors.js';
import { auditedCall } from '../policy/auditedCall.js';
import { graphCallRecorder, type GraphCallRecord } from '../policy/graphCalls.js';
import { mcpCall } from '../telemetry/tracing.js';
import { registerPrompts } from '../prompts/index.js';
import { registerResources } from '../resources/index.js';
import type { CallRunner } from '../resources/runner.js';
import { toToolError } from './toolError.js';
import type { ToolDefinition } from '../tools/tool.js';
import { annotationsOf } from './annotations.js';
import { instructionsFor } from './instructions.js';
import type { ServerRuntime, ServerSurface } from './runtime.js';
import { callContext } from './toolContext.js';
import { preparedSchemas, type ValidationIssue } from './toolSchemas.js';
import { signInRounds, type SignInRounds } from './signInRound.js';
import { signInThroughUrlElicitation } from './urlSignIn.js';

export const SERVER_NAME = 'm365-copilot-mcp';

type Era = 'legacy' | 'modern';

/**
 * Pure and cheap: no I/O. stdio calls it once per connection, HTTP once per request. The runtime may
 * still be starting (the in-process emulator of --demo): tool calls wait for it, initialize does not.
 */
export function buildServer(surface: ServerSurface, runtimeReady: ServerRuntime | Promise<ServerRuntime>, era: Era = 'legacy', opts: { signInRounds?: boolean } = {}): McpServer {
  // One per stdio connection: binds sign-in requestState to it. Over HTTP (a server per request, callers
  // signed in by OAuth before they arrive) there are no sign-in rounds, so no server-wide verify either.
  const rounds = (opts.signInRounds ?? true) ? signInRounds() : undefined;
  const server = new McpServer({ name: SERVER_NAME, version: surface.version }, {
    capabilities: { tools: { listChanged: false }, resources: { listChanged: false }, prompts: { listChanged: false } },
    instructions: instructionsFor(surface.tools),
    ...(rounds ? { requestState: { verify: rounds.verify } } : {}),
  });
  const offered = new Set(surface.tools.map((t) => t.name));
  registerResources(server, resourceCalls(runtimeReady), offered);
  registerPrompts(server, offered);
  for (const tool of surface.tools) registerTool(server, tool, runtimeReady, era, rounds);
  return server;
}

function registerTool(server: McpServer, tool: ToolDefinition, runtimeReady: ServerRuntime | Promise<ServerRuntime>, era: Era, rounds: SignInRounds | undefined): void {
  const prepared = preparedSchemas(tool);
  server.registerTool(
    tool.name,
    { title: tool.title, description: tool.description, inputSchema: prepared.input, outputSchema: prepared.output, annotations: annotationsOf(tool) },
    async (args, sdkCtx) =>
      // Over HTTP this marks the transport's span for the request; over stdio it is the request's span.
      mcpCall(
        { method: 'tools/call', toolName: tool.name, requestId: sdkCtx.mcpReq.id, transport: 'pipe', meta: sdkCtx.mcpReq._meta },
        () => callTool(server, tool, prepared, runtimeReady, era, rounds, args, sdkCtx),
        // An input_required round (the sign-in page) is no error: the client retries the call.
        (result) => ('isError' in result && result.isError ? (errorCodeOf(result as Parameters<typeof errorCodeOf>[0]) ?? 'tool_error') : undefined),
      ),
  );
}

type ToolCallContext = Parameters<Parameters<McpServer['registerTool']>[2]>[1];

/** A failed call's stable error code, as toToolError wrote it first in the text (never the message itself). */
function errorCodeOf(result: { content: { type: string; text?: string }[] }): string | undefined {
  return /^Error \[([A-Za-z]+)\]/.exec(result.content[0]?.text ?? '')?.[1];
}

async function callTool(server: McpServer, tool: ToolDefinition, prepared: ReturnType<typeof preparedSchemas>, runtimeReady: ServerRuntime | Promise<ServerRuntime>, era: Era, rounds: SignInRounds | undefined, args: unknown, sdkCtx: ToolCallContext) {
  const started = Date.now();
  const runtime = await runtimeReady;
  const log = runtime.log.child({ tool: tool.name });
  const progressToken = sdkCtx.mcpReq._meta?.progressToken;
  // Every Graph exchange of this call, for its audit record (filled by the call's Graph clients).
  const graph: GraphCallRecord[] = [];
  const ctx = callContext(
    runtime,
    log,
    sdkCtx.mcpReq.signal,
    async (progress, total, message) => {
      if (progressToken === undefined) return;
      await sdkCtx.mcpReq.notify({
        method: 'notifications/progress',
        params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
      });
    },
    tool,
    graphCallRecorder(graph),
  );
  const run = async () => {
    const checked = await prepared.validate(args);
    if ('issues' in checked) throw invalidArguments(tool, checked.issues);
    const answer = await tool.handle(checked.value as never, ctx);
    log.info('tool call done', { ms: Date.now() - started });
    return { content: [{ type: 'text' as const, text: answer.text }], structuredContent: answer.structured as Record<string, unknown> };
  };
  // A 2026-07-28 retry after the sign-in page: wait for that sign-in, then run as usual.
  const resumed = era === 'modern' && rounds ? await rounds.resume(tool.name, sdkCtx.mcpReq, runtime, log) : undefined;
  let askedForSignIn: InputRequiredResult | undefined;
  const audit = { tool: tool.name, audited: tool.audited, args, transport: runtime.environment.transport, emulated: runtime.environment.tenantSource === 'emulator', caller: () => ctx.caller(), graph };
  try {
    // One audit record per tools/call, written before the answer (or error) goes back.
    return await auditedCall(runtime.governance.audit, audit, async () => {
      try {
        return await run();
      } catch (err) {
        // A client that can open URLs gets the sign-in page that way, and this same call carries on.
        if (!(err instanceof AppError) || err.code !== 'AuthPending') throw err;
        if (era === 'modern') {
          if (!rounds) throw err;
          // Once declined, the retry answers AuthPending with the code instead of asking again.
          if (resumed === 'declined' || !rounds.clientTakesUrl(sdkCtx.mcpReq, server.server.getClientCapabilities())) throw err;
          askedForSignIn = await rounds.ask(err, tool.name, sdkCtx);
          throw err;
        }
        if (!server.server.getClientCapabilities()?.elicitation?.url) throw err;
        if (!(await signInThroughUrlElicitation(err, sdkCtx, runtime, log))) throw err;
        return await run();
      }
    });
  } catch (err) {
    // The audit recorded this round's AuthPending; the client gets the sign-in page and retries.
    if (askedForSignIn !== undefined) return askedForSignIn;
    if (!(err instanceof AppError)) log.error('tool call crashed (bug)', { ms: Date.now() - started, error: err, stack: (err as Error)?.stack });
    const result = toToolError(err);
    log.warn('tool call failed', { ms: Date.now() - started, code: (err as AppError).code, error: (err as Error).message });
    return result;
  }
}

/**
 * One InvalidArgument for every refusal of a tool's arguments: each argument with its rule and a
 * valid value. A value of the wrong type is reported as that alone (zod also runs the length checks
 * on it, whose messages would only contradict it).
 */
function invalidArguments(tool: ToolDefinition, issues: readonly ValidationIssue[]): AppError {
  const named = issues.map((i) => ({ name: (i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.'), message: i.message }));
  const wrongType = new Set(named.filter((n) => /^Invalid input: expected /.test(n.message)).map((n) => n.name));
  const shown = named.filter((n) => !wrongType.has(n.name) || /^Invalid input: expected /.test(n.message));
  const names = [...new Set(shown.map((n) => n.name.split('.')[0]!).filter(Boolean))];
  const example = (name: string) => (Object.hasOwn(tool.examples, name) ? ` (e.g. ${JSON.stringify(tool.examples[name])})` : '');
  const described = shown.map((n) => (n.name ? `${n.name}: ${n.message}${n.name === n.name.split('.')[0] ? example(n.name) : ''}` : n.message));
  return new AppError('InvalidArgument', `invalid arguments for ${tool.name}: ${[...new Set(described)].join('; ')}`, {
    nextStep: `Fix ${names.length ? names.join(', ') : 'the arguments'} as described, then call ${tool.name} again; its input schema gives every argument's rule.`,
    details: { arguments: names },
  });
}

/** Resource reads and completions run like tool calls: the caller's context, one audit record each. */
function resourceCalls(runtimeReady: ServerRuntime | Promise<ServerRuntime>): CallRunner {
  return {
    async run(name, args, audited, signal, work) {
      const runtime = await runtimeReady;
      const log = runtime.log.child({ resource: name });
      const graph: GraphCallRecord[] = [];
      const ctx = callContext(runtime, log, signal, undefined, undefined, graphCallRecorder(graph));
      const info = { tool: name, audited, args, transport: runtime.environment.transport, emulated: runtime.environment.tenantSource === 'emulator', caller: () => ctx.caller(), graph };
      // Wrapped: a resource result has no structuredContent for the audit summary to read.
      return (await auditedCall(runtime.governance.audit, info, async () => ({ structuredContent: undefined, value: await work(ctx) }))).value;
    },
  };
}
