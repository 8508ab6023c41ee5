import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { AuditFile } from './auditFile.js';
import { AuditTrail } from './auditTrail.js';
import { labelPolicy, type LabelPolicy } from './labelPolicy.js';
import { RetrievalBudgetTracker } from './retrievalBudget.js';
import { ScanGate } from './scanGate.js';

/** The value of auditFile that turns the audit log off. */
export const AUDIT_OFF = 'off';
export const DEFAULT_AUDIT_FILE_NAME = 'audit.jsonl';
export const AUDIT_HASH_KEY_FILE_NAME = 'audit-hash.key';
/** The key that seals cursors (stdio), beside the audit hash key. */
export const CURSOR_KEY_FILE_NAME = 'cursor.key';

/**
 * Process-wide governance state: one audit file, one label policy, one retrieval budget per user.
 * Built once per process (HTTP builds a runtime per request: share this object across them, or
 * each request would get a fresh budget and its own file writer).
 */
export interface Governance {
  audit: AuditTrail | undefined;
  labels: LabelPolicy;
  retrievalBudget: RetrievalBudgetTracker;
  /** One interaction-history scan per caller at a time (conversation resources). */
  scans: ScanGate;
}

type GovernanceConfig = Pick<
  Config,
  'stateDir' | 'auditFile' | 'auditMaxBytes' | 'auditMaxFiles' | 'auditQueryText' | 'auditSync' | 'withholdLabelPriorityAbove' | 'withholdLabels' | 'retrievalBudgetPerHour'
>;

/** No I/O: the audit file and its hash key are opened on the first record. */
export function createGovernance(config: GovernanceConfig, log: Logger): Governance {
  const auditPath = auditFilePath(config);
  const audit =
    auditPath === undefined
      ? undefined
      : new AuditTrail({
          file: new AuditFile({ path: auditPath, maxBytes: config.auditMaxBytes, maxFiles: config.auditMaxFiles, sync: config.auditSync }),
          textMode: config.auditQueryText,
          hashKeyPath: join(config.stateDir, AUDIT_HASH_KEY_FILE_NAME),
          log: log.child({ component: 'audit' }),
        });
  return {
    audit,
    labels: labelPolicy({ withholdLabelPriorityAbove: config.withholdLabelPriorityAbove, withholdLabels: config.withholdLabels }),
    retrievalBudget: new RetrievalBudgetTracker(config.retrievalBudgetPerHour),
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
