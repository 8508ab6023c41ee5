import type { ICachePlugin } from '@azure/msal-node';

/** Where tokens are kept, and why that place was chosen (shown by `status`; never a secret). */
export interface CacheBackendInfo {
  kind: 'keychain' | 'encrypted-file' | 'memory';
  /** Human description: keychain service name, or the cache directory. */
  location: string;
  /** Why this backend: "OS keychain available", "keytar not installed: …", "keychain unavailable: …". */
  reason: string;
  /** For encrypted-file: where the key lives ('keychain' | 'key-file'). */
  keyStorage?: 'keychain' | 'key-file';
}

export type CacheBackendPreference = 'auto' | 'keychain' | 'file' | 'memory';

export interface TokenCache {
  info: CacheBackendInfo;
  /** The plugin to give MSAL (`cache: { cachePlugin }`); undefined for memory. */
  plugin: ICachePlugin | undefined;
  /** Remove one account's partition (logout), by home account id. */
  removeAccount(homeAccountId: string): Promise<void>;
  /** Remove every partition (logout --all). */
  clear(): Promise<void>;
  /**
   * Messages worth telling the user once (e.g. "the cache file was corrupt and was reset"); each call
   * returns only what arrived since the previous call.
   */
  notices(): string[];
}

export interface OpenTokenCacheOptions {
  /** Directory for the encrypted cache, its key file and the lock file; created 0700 if missing. */
  stateDir: string;
  preference: CacheBackendPreference;
  /** Keychain service name; tests use their own. */
  service?: string;
  log: import('../../log.js').Logger;
  /**
   * The one keychain probe: how long it may take before the keychain counts as unavailable
   * (default 3 s). Tests also replace `import('keytar')` and lower the per-entry size limit.
   */
  keychain?: { probeTimeoutMs?: number; load?: () => Promise<unknown>; maxValueChars?: number };
}
