import type { TokenBroker } from '../auth/broker.js';
import type { GraphClient } from '../graph/client.js';
import type { Logger } from '../log.js';
import type { ExportRule } from '../policy/exportAuthorization.js';
import type { CursorSeal } from '../policy/cursorSeal.js';
import type { Governance } from '../policy/governance.js';
import type { CallerIdentity, LocalFiles, RuntimeInfo, ToolDefinition } from '../tools/tool.js';

/** Everything built once per process (stdio) or per caller (HTTP); buildServer only wires it into a fresh McpServer. */
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
  /** Seals the cursors tools hand out (one key per process, or shared by instances). */
  cursorSeal: CursorSeal;
}

/** What tools/list shows; known before any endpoint is, so the protocol can answer at once. */
export interface ServerSurface {
  version: string;
  tools: readonly ToolDefinition[];
}
