import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { summariseArguments, type ArgumentSummary, type AuditedArguments } from './auditArgs.js';
import type { AuditSink } from './auditSink.js';
import { summariseResult, type ResultSummary } from './auditResult.js';
import { loadOrCreateHashKey, textRenderer, type AuditTextMode, type TextRenderer } from './auditText.js';
import type { GraphCallRecord } from './graphCalls.js';

export const AUDIT_RECORD_VERSION = 1;

/**
 * One line of the audit file. Built field by field from an allow-list (see auditArgs.ts and
 * auditResult.ts): no token, code, secret, assertion, error text or content can reach it.
 */
export interface AuditRecord {
  v: typeof AUDIT_RECORD_VERSION;
  time: string;
  tool: string;
  transport: 'stdio' | 'http';
  /** Which server process answered (--instance-id; default host name and process id): several instances write one log. */
  instance: string;
  /** Present (true) for calls against an emulated tenant: demo and test runs, not Microsoft 365. */
  emulated?: true;
  /** null before anyone signed in (stdio) when the call failed before sign-in. */
  caller: { userId: string; upn?: string; tenantId: string } | null;
  args: Record<string, unknown>;
  unrecordedArgs?: string[];
  outcome: 'ok' | 'error';
  /** The AppError code; InternalError for a bug. */
  errorCode?: string;
  durationMs: number;
  /** Every Graph exchange made for the call, retries and $batch items included. */
  graph: GraphCallRecord[];
  result?: ResultSummary;
}

export interface CallFacts {
  tool: string;
  /** The call ran against an emulated tenant (--demo, --emulator): marked, so it is never mistaken for real use. */
  emulated?: boolean;
  /** What of its arguments may be recorded, and how (from its definition). */
  audited: AuditedArguments;
  transport: 'stdio' | 'http';
  caller: { userId: string; upn?: string | undefined; tenantId: string } | undefined;
  args: unknown;
  started: number;
  ended: number;
  graph: GraphCallRecord[];
  structured: unknown;
  error: unknown;
}

export interface AuditTrailOptions {
  /** Every record goes to each of them; one that fails fails the call. */
  sinks: AuditSink[];
  /** Which server process this is, in every record. */
  instance: string;
  textMode: AuditTextMode;
  /** Where the HMAC key for `hash` lives (created on first use). */
  hashKeyPath: string;
  log: Logger;
}

/** The audit sinks plus how to turn a finished call into its record. */
export class AuditTrail {
  private renderer: Promise<TextRenderer> | undefined;

  constructor(private readonly opts: AuditTrailOptions) {
    if (!opts.sinks.length) throw new Error('an audit trail needs at least one sink');
  }

  /** Where records go, for messages: the file path and/or stdout. */
  get path(): string {
    return this.opts.sinks.map((s) => s.name).join(' and ');
  }

  /**
   * The record's summary of a call's arguments (free text keyed-hashed), asked for when the call
   * starts and computed in the event loop's check phase: by then the call has sent its Graph request,
   * so the hashing overlaps Graph's answer instead of delaying ours (issue 17: the record was most of
   * our per-call cost over the bare SDK). It needs only the arguments, which nothing changes during the
   * call (the tool works on its validated copy). Its failure fails write(), as computing it there would.
   */
  summarise(audited: AuditedArguments, args: unknown): Promise<ArgumentSummary> {
    const summary = new Promise<ArgumentSummary>((resolve, reject) => {
      setImmediate(() => this.text().then((text) => summariseArguments(audited, args, text)).then(resolve, reject));
    });
    // Awaited by write(), which may come after it fails: not an unhandled rejection meanwhile.
    summary.catch(() => {});
    return summary;
  }

  /**
   * Resolves once every sink has the record; throws AuditFailed (naming the sink, not the record)
   * otherwise. `summary` is summarise()'s for these facts' arguments.
   */
  async write(facts: CallFacts, summary: Promise<ArgumentSummary>): Promise<void> {
    let failed = this.path;
    try {
      const record = recordOf(facts, await summary, this.opts.instance);
      const outcomes = await Promise.allSettled(this.opts.sinks.map((sink) => sink.append(record)));
      const failures = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ sink: this.opts.sinks[i]!.name, reason: o.reason as unknown }] : []));
      if (failures.length) {
        failed = failures.map((f) => f.sink).join(' and ');
        throw failures[0]!.reason;
      }
    } catch (cause) {
      this.renderer = undefined; // a missing key file may be fixed by the next call
      this.opts.log.error('audit record not written', { sink: failed, tool: facts.tool, error: cause });
      throw new AppError('AuditFailed', `the audit record for this ${facts.tool} call could not be written to ${failed}, so its answer is withheld`, {
        cause,
        nextStep: 'Fix the audit sink (disk space, permissions, directory; a log collector reading stdout), or point --audit-file elsewhere; an administrator may set --audit-file off.',
        details: { errno: (cause as NodeJS.ErrnoException)?.code },
      });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.opts.sinks.map((s) => s.close()));
  }

  private text(): Promise<TextRenderer> {
    if (this.opts.textMode !== 'hash') return Promise.resolve(textRenderer(this.opts.textMode, undefined));
    this.renderer ??= loadOrCreateHashKey(this.opts.hashKeyPath).then((key) => textRenderer('hash', key));
    return this.renderer;
  }
}

export function buildRecord(f: CallFacts, text: TextRenderer, instance: string): AuditRecord {
  return recordOf(f, summariseArguments(f.audited, f.args, text), instance);
}

function recordOf(f: CallFacts, args: ArgumentSummary, instance: string): AuditRecord {
  const ok = f.error === undefined;
  return {
    v: AUDIT_RECORD_VERSION,
    time: new Date(f.started).toISOString(),
    tool: f.tool,
    transport: f.transport,
    instance,
    ...(f.emulated ? { emulated: true as const } : {}),
    caller: f.caller ? { userId: f.caller.userId, ...(f.caller.upn ? { upn: f.caller.upn } : {}), tenantId: f.caller.tenantId } : null,
    args: args.values,
    ...(args.unrecorded ? { unrecordedArgs: args.unrecorded } : {}),
    outcome: ok ? 'ok' : 'error',
    ...(ok ? {} : { errorCode: f.error instanceof AppError ? f.error.code : 'InternalError' }),
    durationMs: Math.max(0, f.ended - f.started),
    graph: f.graph.map((g) => ({ ...g })),
    ...(ok ? { result: summariseResult(f.tool, f.structured) } : {}),
  };
}
