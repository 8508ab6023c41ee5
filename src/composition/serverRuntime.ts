import type { TokenBroker } from '../auth/broker.js';
import type { CursorSeal } from '../policy/cursorSeal.js';
import type { ExportRule } from '../policy/exportAuthorization.js';
import type { Governance } from '../policy/governance.js';
import type { Logger } from '../log.js';
import type { ServerRuntime } from '../server/runtime.js';
import type { CallerIdentity, LocalFiles, RuntimeInfo } from '../tools/tool.js';
import type { GraphClientFor } from './graphClients.js';

/** What outlives a request: one per process, shared by stdio's one runtime and HTTP's runtime per caller. */
export interface SharedRuntime {
  environment: RuntimeInfo;
  log: Logger;
  /** One audit writer, label policy and retrieval budget per process. */
  governance: Governance;
  graphFor: GraphClientFor;
  /** Where app-only tokens (interaction export) come from: the same credential for every caller. */
  appTokens: Pick<TokenBroker, 'getToken'>;
  exportRule?: ExportRule;
  files?: LocalFiles;
  cursorSeal: CursorSeal;
}

/** The runtime tools see, for one broker: stdio's local user, or one HTTP caller (with their identity). */
export function runtimeFor(shared: SharedRuntime, broker: TokenBroker, caller?: CallerIdentity): ServerRuntime {
  const who = caller ? async () => caller : () => broker.currentAccount();
  let appGraph: ServerRuntime['appGraph'] | undefined;
  return {
    broker,
    graph: shared.graphFor('delegated', broker, who),
    // Per caller too: the export limiter, shared by all of them, serves callers in turn. Built on first
    // use: over HTTP a runtime lives for one request, and only the export tools and resources use it.
    get appGraph() {
      return (appGraph ??= shared.graphFor('app', shared.appTokens, who));
    },
    environment: shared.environment,
    log: shared.log,
    governance: shared.governance,
    cursorSeal: shared.cursorSeal,
    ...(caller ? { caller } : {}),
    ...(shared.exportRule ? { exportRule: shared.exportRule } : {}),
    ...(shared.files ? { files: shared.files } : {}),
  };
}
