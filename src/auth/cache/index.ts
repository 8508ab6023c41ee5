import { join } from 'node:path';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { EncryptedFileStore } from './fileStore.js';
import { resolveFileKey } from './fileKey.js';
import { probeKeychain, type KeychainProbe } from './keychain.js';
import { KeychainStore } from './keychainStore.js';
import { CacheLock } from './lock.js';
import { createCachePlugin } from './plugin.js';
import { ensurePrivateDir } from './privateFiles.js';
import { Notices, type PartitionStore } from './store.js';
import type { CacheBackendInfo, OpenTokenCacheOptions, TokenCache } from './types.js';

export type { CacheBackendInfo, CacheBackendPreference, OpenTokenCacheOptions, TokenCache } from './types.js';

export const DEFAULT_KEYCHAIN_SERVICE = 'm365-copilot-mcp';
const LOCK_FILE = 'token-cache.lock';

/**
 * Picks where tokens are kept ('auto': the OS keychain, else an AES-256-GCM file cache) and returns
 * the MSAL plugin for it. The keychain is probed once, here; why a backend was chosen is in `info`.
 */
export async function openTokenCache(opts: OpenTokenCacheOptions): Promise<TokenCache> {
  const log = opts.log.child({ component: 'token-cache' });
  if (opts.preference === 'memory') {
    return memoryCache(log);
  }
  const service = opts.service ?? DEFAULT_KEYCHAIN_SERVICE;
  await ensurePrivateDir(opts.stateDir);
  const notices = new Notices();
  const lock = new CacheLock(join(opts.stateDir, LOCK_FILE), { log });
  const probe = await probeKeychain(service, opts.keychain);

  let store: PartitionStore;
  let info: CacheBackendInfo;
  if (probe.ok && opts.preference !== 'file') {
    store = new KeychainStore(probe.client, notices, log);
    info = {
      kind: 'keychain',
      location: `${probe.client.kind}, service "${service}"`,
      reason: opts.preference === 'keychain' ? 'token cache set to keychain' : 'OS keychain available',
    };
  } else if (opts.preference === 'keychain') {
    throw keychainRequired(probe);
  } else {
    const keychain = probe.ok ? probe.client : undefined;
    const key = await withLock(lock, () => resolveFileKey(opts.stateDir, keychain, log, notices));
    store = new EncryptedFileStore(opts.stateDir, key.key, notices, log);
    const why = opts.preference === 'file' ? 'token cache set to file' : probe.ok ? 'OS keychain available' : probe.reason;
    info = { kind: 'encrypted-file', location: opts.stateDir, reason: `${why}; ${key.reason}`, keyStorage: key.storage };
  }
  log.info('token cache backend chosen', { backend: info.kind, location: info.location, reason: info.reason });

  return {
    info,
    plugin: createCachePlugin({ store, lock, log }),
    removeAccount: (homeAccountId) => withLock(lock, () => store.remove(homeAccountId)),
    clear: () => withLock(lock, () => store.clear()),
    notices: () => notices.drain(),
  };
}

function memoryCache(log: Logger): TokenCache {
  const info: CacheBackendInfo = { kind: 'memory', location: 'process memory', reason: 'token cache set to memory: sign-ins last until the process exits' };
  log.info('token cache backend chosen', { backend: info.kind, reason: info.reason });
  return { info, plugin: undefined, removeAccount: async () => {}, clear: async () => {}, notices: () => [] };
}

function keychainRequired(probe: KeychainProbe): AppError {
  const reason = probe.ok ? 'the keychain failed' : probe.reason;
  return new AppError('ConfigInvalid', `the token cache is set to "keychain" but ${reason}`, {
    nextStep: 'Unlock or start the OS keychain (on Linux a Secret Service such as gnome-keyring in a D-Bus session), or set the token cache to "auto" or "file".',
  });
}

async function withLock<T>(lock: CacheLock, work: () => Promise<T>): Promise<T> {
  const handle = await lock.acquire();
  try {
    return await work();
  } finally {
    await handle.release();
  }
}
