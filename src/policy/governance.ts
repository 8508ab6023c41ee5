import { hostname } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { Config } from '../config/schema.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { AuditFile } from './auditFile.js';
import { StreamAuditSink, type AuditSink } from './auditSink.js';
import { AuditTrail } from './auditTrail.js';
import { labelPolicy, type LabelPolicy } from './labelPolicy.js';
import { createTokenBucket, EXPORT_RATE, type RateLimiter } from '../graph/rateLimiter.js';
import { RetrievalBudgetTracker, type RetrievalBudgetCounter } from './retrievalBudget.js';
import { createSharedRateLimiter } from './sharedRateLimiter.js';
import { SharedRetrievalBudget } from './sharedRetrievalBudget.js';
import type { SharedScripts } from './sharedScripts.js';
import { ScanGate } from './scanGate.js';

/** The value of auditFile that turns the audit log off. */
export const AUDIT_OFF = 'off';
export const DEFAULT_AUDIT_FILE_NAME = 'audit.jsonl';
export const AUDIT_HASH_KEY_FILE_NAME = 'audit-hash.key';
/** The key that seals cursors (stdio), beside the audit hash key. */
export const CURSOR_KEY_FILE_NAME = 'cursor.key';

/**
 * Process-wide governance state: one audit trail (file and/or stdout), one label policy, one retrieval budget per user.
 * Built once per process (HTTP builds a runtime per request: share this object across them, or
 * each request would get a fresh budget and its own file writer).
 */
export interface Governance {
  audit: AuditTrail | undefined;
  labels: LabelPolicy;
  retrievalBudget: RetrievalBudgetCounter;
  /** The interaction export's 30 requests/s per app and tenant (shared by every instance with --redis). */
  exportLimiter: RateLimiter;
  /** One interaction-history scan per caller at a time (conversation resources). */
  scans: ScanGate;
}

type GovernanceConfig = Pick<
  Config,
  | 'stateDir'
  | 'auditFile'
  | 'auditMaxBytes'
  | 'auditMaxFiles'
  | 'auditQueryText'
  | 'auditSync'
  | 'auditStdout'
  | 'instanceId'
  | 'withholdLabelPriorityAbove'
  | 'withholdLabels'
  | 'retrievalBudgetPerHour'
>;

export interface GovernanceHost {
  /** HTTP mode's stdout, where --audit-stdout writes; absent over stdio, where stdout is the protocol. */
  auditStream?: Writable;
  /**
   * HTTP mode with --redis: the retrieval budget and the export rate limit are kept there, shared
   * by every instance. `exportLimitName` names the export app and tenant the limit belongs to.
   */
  shared?: { scripts: SharedScripts; exportLimitName: string };
}

/** Which process wrote a record: --instance-id, else host name and process id (a container's host name is its id). */
export function instanceIdOf(config: Pick<Config, 'instanceId'>): string {
  return config.instanceId ?? `${hostname()}:${process.pid}`;
}

/** No I/O: the audit file and its hash key are opened on the first record. */
export function createGovernance(config: GovernanceConfig, log: Logger, host: GovernanceHost = {}): Governance {
  const auditPath = auditFilePath(config);
  if (config.auditStdout && !host.auditStream)
    throw new AppError('ConfigInvalid', '--audit-stdout works in HTTP mode only: over stdio, stdout carries the MCP protocol', {
      nextStep: 'Drop --audit-stdout (M365_COPILOT_MCP_AUDIT_STDOUT) for stdio; the audit file (--audit-file) still records every call.',
    });
  const sinks: AuditSink[] = [
    ...(auditPath === undefined ? [] : [new AuditFile({ path: auditPath, maxBytes: config.auditMaxBytes, maxFiles: config.auditMaxFiles, sync: config.auditSync })]),
    ...(config.auditStdout && host.auditStream ? [new StreamAuditSink('stdout', host.auditStream)] : []),
  ];
  const audit = sinks.length
    ? new AuditTrail({
        sinks,
        instance: instanceIdOf(config),
        textMode: config.auditQueryText,
        hashKeyPath: join(config.stateDir, AUDIT_HASH_KEY_FILE_NAME),
        log: log.child({ component: 'audit' }),
      })
    : undefined;
  const localBudget = new RetrievalBudgetTracker(config.retrievalBudgetPerHour);
  const localExportLimiter = createTokenBucket(EXPORT_RATE);
  const shared = host.shared;
  const sharedLog = log.child({ component: 'shared-limits' });
  return {
    audit,
    labels: labelPolicy({ withholdLabelPriorityAbove: config.withholdLabelPriorityAbove, withholdLabels: config.withholdLabels }),
    retrievalBudget: shared ? new SharedRetrievalBudget(shared.scripts, localBudget, sharedLog) : localBudget,
    exportLimiter: shared
      ? createSharedRateLimiter({ ...EXPORT_RATE, scripts: shared.scripts, name: `export:${shared.exportLimitName}`, fallback: localExportLimiter, log: sharedLog })
      : localExportLimiter,
    scans: new ScanGate(),
  };
}

/** undefined when auditing is off; a relative path is taken from the working directory. */
export function auditFilePath(config: Pick<Config, 'stateDir' | 'auditFile'>): string | undefined {
  const setting = config.auditFile?.trim();
  if (setting && setting.toLowerCase() === AUDIT_OFF) return undefined;
  if (!setting) return join(config.stateDir, DEFAULT_AUDIT_FILE_NAME);
  return isAbsolute(setting) ? setting : resolve(setting);
}

/**
 * What an export directory may not contain: the state directory (token cache, keys, the audit hash
 * key) and the directory of the audit log, where its rotated files (FILE.1 …) live too.
 */
export function protectedFromExport(config: Pick<Config, 'stateDir' | 'auditFile'>): { what: string; path: string }[] {
  const audit = auditFilePath(config);
  return [{ what: 'state directory', path: config.stateDir }, ...(audit ? [{ what: 'audit log directory', path: dirname(audit) }] : [])];
}
