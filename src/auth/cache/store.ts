import type { CacheJson } from './partitions.js';

/**
 * Where partitions live (keychain entries or encrypted files). Callers hold the cache lock around
 * every call, so implementations need no locking of their own.
 */
export interface PartitionStore {
  /** Every readable partition by home account id (APP_PARTITION for app-wide entries). */
  readAll(): Promise<Map<string, CacheJson>>;
  write(partitionId: string, partition: CacheJson): Promise<void>;
  remove(partitionId: string): Promise<void>;
  /** Keeps a partition MSAL cannot load aside (with a notice) and drops it from the cache. */
  quarantine(partitionId: string, problem: string): Promise<void>;
  clear(): Promise<void>;
}

/** Collects messages for the user (corrupt files reset, …), each told once. */
export class Notices {
  private pending: string[] = [];

  add(message: string): void {
    if (!this.pending.includes(message)) this.pending.push(message);
  }

  drain(): string[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/** Suffix for a corrupt file or entry that is kept aside for inspection rather than deleted. */
export function corruptSuffix(now = new Date()): string {
  return `.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
}
