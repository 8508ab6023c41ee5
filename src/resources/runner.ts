import type { AuditedArguments } from '../policy/auditArgs.js';
import type { ToolContext } from '../tools/tool.js';

/**
 * How resources reach Graph: buildServer hands them a runner that builds the caller's per-call
 * context exactly as for a tool call and writes one audit record per run (`name` is the record's tool).
 */
export interface CallRunner {
  /** `audited`: what the record keeps of `args` (a resource's ids are recorded as given). */
  run<R>(name: string, args: Record<string, unknown>, audited: AuditedArguments, signal: AbortSignal, work: (ctx: ToolContext) => Promise<R>): Promise<R>;
}
