import { createHash } from 'node:crypto';

/**
 * MSAL's serialized cache split into one partition per home account, and merged back.
 * Storing accounts apart means a write for one user never rewrites (or loses) another's tokens.
 */

/** A section of MSAL's JSON cache (Account, IdToken, AccessToken, RefreshToken, AppMetadata, …): key → entry. */
export type CacheSection = Record<string, unknown>;
/** MSAL's JSON cache shape, or the part of it that belongs to one partition. */
export type CacheJson = Record<string, CacheSection>;

/** Partition id of entries that belong to no account (AppMetadata, app-only tokens). */
export const APP_PARTITION = '';

/**
 * How a partition is named in file names and logs: a hash, so the account id never appears in
 * clear outside the encrypted content.
 */
export function partitionLabel(partitionId: string): string {
  return partitionId === APP_PARTITION ? 'app' : createHash('sha256').update(partitionId, 'utf8').digest('hex').slice(0, 32);
}

function partitionOf(entry: unknown): string {
  if (entry && typeof entry === 'object') {
    const id = (entry as { home_account_id?: unknown }).home_account_id;
    if (typeof id === 'string') return id;
  }
  return APP_PARTITION;
}

export function parseCacheJson(text: string): CacheJson {
  const parsed: unknown = text ? JSON.parse(text) : {};
  return asCacheJson(parsed);
}

/** Keeps only the object-valued sections; anything else is not MSAL cache data. */
export function asCacheJson(value: unknown): CacheJson {
  const out: CacheJson = {};
  if (!isPlainObject(value)) return out;
  for (const [section, entries] of Object.entries(value)) {
    if (isPlainObject(entries)) out[section] = { ...entries };
  }
  return out;
}

export function splitByPartition(cache: CacheJson): Map<string, CacheJson> {
  const partitions = new Map<string, CacheJson>();
  for (const [section, entries] of Object.entries(cache)) {
    for (const [key, entry] of Object.entries(entries)) {
      const id = partitionOf(entry);
      let partition = partitions.get(id);
      if (!partition) partitions.set(id, (partition = {}));
      (partition[section] ??= {})[key] = entry;
    }
  }
  return partitions;
}

/** MSAL expects all five sections to exist, even when empty. */
export function mergePartitions(partitions: Iterable<CacheJson>): CacheJson {
  const merged: CacheJson = { Account: {}, IdToken: {}, AccessToken: {}, RefreshToken: {}, AppMetadata: {} };
  for (const partition of partitions) {
    for (const [section, entries] of Object.entries(partition)) Object.assign((merged[section] ??= {}), entries);
  }
  return merged;
}

export function isEmptyPartition(partition: CacheJson | undefined): boolean {
  return !partition || Object.values(partition).every((entries) => Object.keys(entries).length === 0);
}

/**
 * Entry-level three-way merge: what this process changed since it read `base` is applied on top of
 * `theirs` (the store as it is now). While the lock is held `theirs` equals `base` and the result is
 * simply `ours`; the merge matters only when a lock was lost and another process wrote meanwhile.
 */
export function threeWayMerge(base: CacheJson, ours: CacheJson, theirs: CacheJson): CacheJson {
  const result: CacheJson = {};
  for (const [section, entries] of Object.entries(theirs)) result[section] = { ...entries };
  const sections = new Set([...Object.keys(base), ...Object.keys(ours)]);
  for (const section of sections) {
    const b = base[section] ?? {};
    const o = ours[section] ?? {};
    for (const key of new Set([...Object.keys(b), ...Object.keys(o)])) {
      if (canonicalJson(b[key]) === canonicalJson(o[key])) continue;
      const target = (result[section] ??= {});
      if (o[key] === undefined) delete target[key];
      else target[key] = o[key];
    }
  }
  return result;
}

/** JSON with sorted keys and no undefined members, so equal content always compares equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'undefined';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (v === undefined) continue;
    out[key] = sortKeys(v);
  }
  return out;
}

/** Canonical form of a whole partition: empty sections dropped. */
export function canonicalPartition(partition: CacheJson | undefined): string {
  const nonEmpty: CacheJson = {};
  for (const [section, entries] of Object.entries(partition ?? {})) {
    if (Object.keys(entries).length > 0) nonEmpty[section] = entries;
  }
  return canonicalJson(nonEmpty);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
