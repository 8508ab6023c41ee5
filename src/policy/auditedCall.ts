import type { CallerIdentity } from '../tools/tool.js';
import type { AuditedArguments } from './auditArgs.js';
import type { AuditTrail } from './auditTrail.js';
import type { GraphCallRecord } from './graphCalls.js';

export interface AuditedCallInfo {
  tool: string;
  audited: AuditedArguments;
  args: unknown;
  transport: 'stdio' | 'http';
  emulated?: boolean;
  /** Asked after the call, so a call that signed the user in is attributed to them. */
  caller: () => Promise<CallerIdentity | undefined>;
  /** Filled while the call runs by its Graph clients (graphCallRecorder): every exchange it made. */
  graph: GraphCallRecord[];
}

/**
 * Runs one tool call and appends its audit record BEFORE the answer goes back: a call the client
 * saw answered is on disk. When the record cannot be written the call fails (AuditFailed) instead of
 * handing out unaudited content. The call's own error is rethrown unchanged after it is recorded.
 */
export async function auditedCall<R extends { structuredContent?: unknown }>(audit: AuditTrail | undefined, info: AuditedCallInfo, call: () => Promise<R>): Promise<R> {
  if (!audit) return call();
  const started = Date.now();
  // Computed while the call waits on Graph, not after it (see AuditTrail.summarise).
  const summary = audit.summarise(info.audited, info.args);
  let result: R | undefined;
  let error: unknown;
  try {
    result = await call();
  } catch (err) {
    error = err ?? new Error('tool call failed without an error');
  }
  const ended = Date.now();
  const caller = await info.caller().catch(() => undefined);
  await audit.write({ tool: info.tool, audited: info.audited, transport: info.transport, emulated: info.emulated ?? false, caller, args: info.args, started, ended, graph: info.graph, structured: result?.structuredContent, error }, summary);
  if (error !== undefined) throw error;
  return result as R;
}
