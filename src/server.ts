import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/server';
import { AppError } from './errors.js';
import type { Logger } from './log.js';
import { toToolError } from './tools/result.js';
import { authorizeExport, type ExportRule } from './policy/exportAuthorization.js';
import { advertised } from './tools/advertisedSchemas.js';
import { auditedCall } from './policy/auditedCall.js';
import type { Governance } from './policy/governance.js';
import type { CallerIdentity, LocalFiles, RuntimeInfo, ToolContext, ToolDefinition } from './tools/tool.js';
import type { GraphClient } from './graph/client.js';
import type { TokenBroker } from './auth/broker.js';
import { registerPrompts } from './prompts/index.js';
import { registerResources } from './resources/index.js';
import type { CallRunner } from './resources/runner.js';

export const SERVER_NAME = 'm365-copilot-mcp';
const MAX_SIGN_IN_WAIT_MS = 15 * 60_000;

/**
 * Shows the device-code page through URL-mode elicitation (2025 era) and waits for the sign-in to
 * finish. True when the user completed it; false when they declined or it did not finish in time.
 */
async function signInThroughUrlElicitation(
  pending: AppError,
  sdkCtx: { mcpReq: { elicitInput: (p: { mode: 'url'; message: string; url: string; elicitationId: string }) => Promise<{ action: string }>; signal: AbortSignal } },
  runtime: ServerRuntime,
  log: Logger,
): Promise<boolean> {
  const url = String(pending.details['verificationUri'] ?? '');
  const code = String(pending.details['userCode'] ?? '');
  const expiresAt = Date.parse(String(pending.details['expiresAt'] ?? '')) || Date.now() + MAX_SIGN_IN_WAIT_MS;
  if (!url || !code || !runtime.broker.awaitSignIn) return false;
  const answer = await sdkCtx.mcpReq.elicitInput({
    mode: 'url',
    message: `Sign in to Microsoft 365 for m365-copilot-mcp: open the page and enter the code ${code}.`,
    url,
    elicitationId: randomUUID(),
  });
  log.info('sign-in URL elicitation answered', { action: answer.action });
  if (answer.action !== 'accept') return false;
  return runtime.broker.awaitSignIn(Math.min(MAX_SIGN_IN_WAIT_MS, Math.max(0, expiresAt - Date.now())), sdkCtx.mcpReq.signal);
}

/**
 * zod 4 runs length checks (min/max) even on a value of the wrong type, and throws a TypeError when
 * that value's `length` cannot be compared: `{"query": {"length": {}}}`. The SDK would answer with the
 * bare "Cannot convert object to primitive value"; this answers the usual validation error naming the
 * argument instead. The listed JSON Schema is the tool's own (same `~standard.jsonSchema`).
 */
export function guardedInput<S extends ToolDefinition['input']>(schema: S): S {
  const std = schema['~standard'];
  // zod's validate turns such a throw into a rejected promise; find the argument(s) whose own schema rejects.
  const throwsFor = async (key: string, value: unknown): Promise<boolean> => {
    try {
      await schema.shape[key]?.['~standard'].validate(value);
      return false;
    } catch {
      return true;
    }
  };
  const refusal = async (value: unknown) => {
    const args = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    const keys = Object.keys(schema.shape).filter((key) => Object.hasOwn(args, key));
    const flags = await Promise.all(keys.map((key) => throwsFor(key, args[key])));
    const bad = keys.filter((_, i) => flags[i]);
    const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
    return {
      issues: bad.length
        ? bad.map((key) => ({ message: `Invalid input: received ${kind(args[key])} of an unusable shape`, path: [key] }))
        : [{ message: 'Invalid input: the arguments could not be validated' }],
    };
  };
  const validate: typeof std.validate = (value) => {
    const illFormed = loneSurrogates(schema, value);
    if (illFormed.length) return { issues: illFormed };
    try {
      const result = std.validate(value);
      return result instanceof Promise ? result.catch(() => refusal(value)) : result;
    } catch {
      return refusal(value);
    }
  };
  return { '~standard': { ...std, validate } } as unknown as S;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * JSON may carry a lone surrogate ("\ud800"), but it is no text: encodeURIComponent throws on it (a
 * URIError from a tool building a Graph path) and Graph could not read it. Refused with the others, by
 * path. Tool arguments are strings or arrays of strings, so one level of arrays is looked into.
 */
function loneSurrogates(schema: ToolDefinition['input'], value: unknown): { message: string; path: (string | number)[] }[] {
  if (value === null || typeof value !== 'object') return [];
  const issues: { message: string; path: (string | number)[] }[] = [];
  const message = 'Invalid input: not well-formed Unicode text (it contains a lone surrogate)';
  for (const key of Object.keys(schema.shape)) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string' && LONE_SURROGATE.test(v)) issues.push({ message, path: [key] });
    else if (Array.isArray(v)) v.forEach((item, i) => typeof item === 'string' && LONE_SURROGATE.test(item) && issues.push({ message, path: [key, i] }));
  }
  return issues;
}

/** Everything built once per process; buildServer only wires it into a fresh McpServer. */
export interface ServerRuntime {
  graph: GraphClient;
  appGraph: GraphClient;
  broker: TokenBroker;
  environment: RuntimeInfo;
  log: Logger;
  /** HTTP mode: the verified user this request runs for (their token, their permissions). */
  caller?: CallerIdentity;
  /** HTTP mode: who may export whose interactions (the export role, the export app's tenant). */
  exportRule?: ExportRule;
  /** Audit log, label policy, retrieval budget: one per process (HTTP: share it across per-request runtimes). */
  governance: Governance;
  /** stdio with --export-dir: where file exports may be written. */
  files?: LocalFiles;
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
export function buildServer(surface: ServerSurface, runtimeReady: ServerRuntime | Promise<ServerRuntime>, era: 'legacy' | 'modern' = 'legacy'): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: surface.version }, {
    capabilities: { tools: { listChanged: false }, resources: { listChanged: false }, prompts: { listChanged: false } },
    instructions: INSTRUCTIONS,
  });
  registerResources(server, resourceCalls(runtimeReady));
  registerPrompts(server);
  for (const tool of surface.tools) {
    const prepared = preparedSchemas(tool);
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: prepared.input,
        outputSchema: prepared.output,
        annotations: annotationsOf(tool),
      },
      async (args, sdkCtx) => {
        const started = Date.now();
        const runtime = await runtimeReady;
        const log = runtime.log.child({ tool: tool.name });
        const progressToken = sdkCtx.mcpReq._meta?.progressToken;
        const ctx = callContext(runtime, log, sdkCtx.mcpReq.signal, async (progress, total, message) => {
          if (progressToken === undefined) return;
          await sdkCtx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken, progress, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
          });
        });
        const run = async () => {
          const answer = await tool.handle(args as never, ctx);
          log.info('tool call done', { ms: Date.now() - started });
          return { content: [{ type: 'text' as const, text: answer.text }], structuredContent: answer.structured as Record<string, unknown> };
        };
        const audit = { tool: tool.name, args, transport: runtime.environment.transport, caller: () => ctx.caller() };
        try {
          // One audit record per tools/call, written before the answer (or error) goes back.
          return await auditedCall(runtime.governance.audit, audit, async () => {
            try {
              return await run();
            } catch (err) {
              // A client that can open URLs gets the sign-in page that way, and this same call carries on.
              if (!(err instanceof AppError) || err.code !== 'AuthPending' || era !== 'legacy' || !server.server.getClientCapabilities()?.elicitation?.url) throw err;
              if (!(await signInThroughUrlElicitation(err, sdkCtx, runtime, log))) throw err;
              return await run();
            }
          });
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

/** What a client may auto-approve rests on these: they say what the tool does to the user's machine. */
export function annotationsOf(tool: ToolDefinition): { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean } {
  return { readOnlyHint: tool.readOnly, destructiveHint: !tool.readOnly && (tool.destructive ?? true), idempotentHint: true, openWorldHint: true };
}

/**
 * The per-call context of a tool call, a resource read or a completion: the caller's Graph clients,
 * identity and export rule, built the same way for each so none of them can drift from the others.
 */
export function callContext(runtime: ServerRuntime, log: Logger, signal: AbortSignal, progress: ToolContext['progress'] = async () => {}): ToolContext {
  const ctx: ToolContext = {
    graph: runtime.graph,
    appGraph: runtime.appGraph,
    environment: runtime.environment,
    signal,
    log,
    policy: { labels: runtime.governance.labels, retrievalBudget: runtime.governance.retrievalBudget },
    ...(runtime.files ? { files: runtime.files } : {}),
    async caller() {
      if (runtime.caller) return runtime.caller;
      const account = await runtime.broker.currentAccount();
      return account && { userId: account.userId, upn: account.upn, tenantId: account.tenantId, roles: [] };
    },
    async authorizeExport(target) {
      return authorizeExport(runtime.environment, await ctx.caller(), runtime.exportRule, target, log);
    },
    async whoAmI(scopes) {
      const grant = await runtime.broker.getToken({ flow: 'delegated', scopes }, signal);
      const granted = [...new Set([...grant.scopes, ...(runtime.broker.grantedScopes?.() ?? [])])];
      return { account: grant.account ?? (await runtime.broker.currentAccount()), scopes: granted, expiresOn: grant.expiresOn };
    },
    progress,
  };
  return ctx;
}

/** Resource reads and completions run like tool calls: the caller's context, one audit record each. */
function resourceCalls(runtimeReady: ServerRuntime | Promise<ServerRuntime>): CallRunner {
  return {
    async run(name, args, signal, work) {
      const runtime = await runtimeReady;
      const log = runtime.log.child({ resource: name });
      const ctx = callContext(runtime, log, signal);
      const info = { tool: name, args, transport: runtime.environment.transport, caller: () => ctx.caller() };
      // Wrapped: a resource result has no structuredContent for the audit summary to read.
      return (await auditedCall(runtime.governance.audit, info, async () => ({ structuredContent: undefined, value: await work(ctx) }))).value;
    },
  };
}

interface PreparedSchemas {
  input: ToolDefinition['input'];
  output: ToolDefinition['output'];
}
const preparedByTool = new WeakMap<ToolDefinition, PreparedSchemas>();

/**
 * Per tool and process, not per server instance: buildServer runs for every HTTP request, and the
 * SDK converts schemas to JSON Schema per instance; `advertised` memoises that conversion.
 */
function preparedSchemas(tool: ToolDefinition): PreparedSchemas {
  let prepared = preparedByTool.get(tool);
  if (!prepared)
    preparedByTool.set(tool, (prepared = { input: advertised(guardedInput(tool.input), 'input'), output: advertised(tool.output, 'output') }));
  return prepared;
}
