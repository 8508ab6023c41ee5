import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { authorizeExport } from '../policy/exportAuthorization.js';
import type { ToolContext, ToolDefinition } from '../tools/tool.js';
import type { ExchangeReport } from '../graph/client.js';
import { boundGraph } from './boundGraph.js';
import type { ServerRuntime } from './runtime.js';

/**
 * The per-call context of a tool call, a resource read or a completion: the caller's Graph clients,
 * identity and export rule, built the same way for each so none of them can drift from the others.
 * A tool's clients are bound to the permissions its definition declares; `record` is told about
 * every Graph exchange the call makes (its audit record).
 */
export function callContext(
  runtime: ServerRuntime,
  log: Logger,
  signal: AbortSignal,
  progress: ToolContext['progress'] = async () => {},
  tool?: Pick<ToolDefinition, 'name' | 'permissions'>,
  record?: (report: ExchangeReport) => void,
): ToolContext {
  let appGraph: ToolContext['appGraph'] | undefined;
  const ctx: ToolContext = {
    graph: boundGraph(runtime.graph, { tool, flow: 'delegated', record }),
    // On first use: most calls never export, and the app-only client is built per runtime (see runtimeFor).
    get appGraph() {
      return (appGraph ??= boundGraph(runtime.appGraph, { tool, flow: 'app', record }));
    },
    environment: runtime.environment,
    signal,
    log,
    policy: { labels: runtime.governance.labels, retrievalBudget: runtime.governance.retrievalBudget, scans: runtime.governance.scans },
    ...(runtime.files ? { files: runtime.files } : {}),
    // Bound to the HTTP caller; over stdio there is one local user.
    cursors: {
      seal: (purpose, payload) => runtime.cursorSeal.seal(purpose, callerKey(runtime), payload),
      open: (purpose, cursor) => runtime.cursorSeal.open(purpose, callerKey(runtime), cursor),
    },
    async caller() {
      if (runtime.caller) return runtime.caller;
      const account = await runtime.broker.currentAccount();
      return account && { userId: account.userId, upn: account.upn, tenantId: account.tenantId, roles: [] };
    },
    async authorizeExport(target) {
      return authorizeExport(runtime.environment, await ctx.caller(), runtime.exportRule, target, log);
    },
    async silentlyGranted(scopes) {
      try {
        await runtime.broker.getToken({ flow: 'delegated', scopes, silentOnly: true }, signal);
        return true;
      } catch (err) {
        if (err instanceof AppError && !signal?.aborted) return false;
        throw err;
      }
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

function callerKey(runtime: ServerRuntime): string {
  return runtime.caller ? `${runtime.caller.tenantId.toLowerCase()}/${runtime.caller.userId.toLowerCase()}` : 'local';
}
