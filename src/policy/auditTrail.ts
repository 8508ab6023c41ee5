import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { summariseArguments, type AuditedArguments } from './auditArgs.js';
import { AuditFile } from './auditFile.js';
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
  file: AuditFile;
  textMode: AuditTextMode;
  /** Where the HMAC key for `hash` lives (created on first use). */
  hashKeyPath: string;
  log: Logger;
}

/** The audit file plus how to turn a finished call into its record. */
export class AuditTrail {
  private renderer: Promise<TextRenderer> | undefined;

  constructor(private readonly opts: AuditTrailOptions) {}

  get path(): string {
    return this.opts.file.path;
  }

  /** Resolves once the record is on disk; throws AuditFailed (naming the file, not the record) otherwise. */
  async write(facts: CallFacts): Promise<void> {
    try {
      const record = buildRecord(facts, await this.text());
      await this.opts.file.append(record);
    } catch (cause) {
      this.renderer = undefined; // a missing key file may be fixed by the next call
      this.opts.log.error('audit record not written', { file: this.path, tool: facts.tool, error: cause });
      throw new AppError('AuditFailed', `the audit record for this ${facts.tool} call could not be written to ${this.path}, so its answer is withheld`, {
        cause,
        nextStep: 'Fix the audit file (disk space, permissions, directory), or point --audit-file elsewhere; an administrator may set --audit-file off.',
        details: { errno: (cause as NodeJS.ErrnoException)?.code },
      });
    }
  }

  close(): Promise<void> {
    return this.opts.file.close();
  }

  private text(): Promise<TextRenderer> {
    if (this.opts.textMode !== 'hash') return Promise.resolve(textRenderer(this.opts.textMode, undefined));
    this.renderer ??= loadOrCreateHashKey(this.opts.hashKeyPath).then((key) => textRenderer('hash', key));
    return this.renderer;
  }
}

export function buildRecord(f: CallFacts, text: TextRenderer): AuditRecord {
  const args = summariseArguments(f.audited, f.args, text);
  const ok = f.error === undefined;
  return {
    v: AUDIT_RECORD_VERSION,
    time: new Date(f.started).toISOString(),
    tool: f.tool,
    transport: f.transport,
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
