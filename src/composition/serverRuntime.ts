import type { TokenBroker } from '../auth/broker.js';
import type { CursorSeal } from '../policy/cursorSeal.js';
import type { ExportRule } from '../policy/exportAuthorization.js';
import type { Governance } from '../policy/governance.js';
import type { Logger } from '../log.js';
import type { GraphClient } from '../graph/client.js';
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
  /** App-only Graph (interaction export), the same for every caller. */
  appGraph: GraphClient;
  exportRule?: ExportRule;
  files?: LocalFiles;
  cursorSeal: CursorSeal;
}

/** The runtime tools see, for one broker: stdio's local user, or one HTTP caller (with their identity). */
export function runtimeFor(shared: SharedRuntime, broker: TokenBroker, caller?: CallerIdentity): ServerRuntime {
  return {
    broker,
    graph: shared.graphFor('delegated', broker, caller ? async () => caller : () => broker.currentAccount()),
    appGraph: shared.appGraph,
    environment: shared.environment,
    log: shared.log,
    governance: shared.governance,
    cursorSeal: shared.cursorSeal,
    ...(caller ? { caller } : {}),
    ...(shared.exportRule ? { exportRule: shared.exportRule } : {}),
    ...(shared.files ? { files: shared.files } : {}),
  };
}
