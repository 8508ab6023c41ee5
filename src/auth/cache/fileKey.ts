import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import type { KeychainClient } from './keychain.js';
import { messageOf } from './keychain.js';
import { isNotFound, writeFileAtomic } from './privateFiles.js';
import { KEY_BYTES } from './sealedBox.js';
import { corruptSuffix, type Notices } from './store.js';

const KEY_FILE = 'cache.key';
/** Keychain entry that holds the file cache's key when a keychain is available. */
const KEYCHAIN_KEY_ACCOUNT = 'file-cache-key';

export interface FileKey {
  key: Buffer;
  storage: 'keychain' | 'key-file';
  /** Why the key is where it is (for CacheBackendInfo.reason). */
  reason: string;
}

/**
 * The 32-byte key of the encrypted file cache: in the keychain when there is one, else in a 0600
 * key file next to the cache. A key file left by a run without keychain moves into the keychain,
 * so the files it encrypted stay readable. Called under the cache lock, so two processes starting
 * together cannot each create a different key.
 */
export async function resolveFileKey(stateDir: string, keychain: KeychainClient | undefined, log: Logger, notices: Notices): Promise<FileKey> {
  const keyPath = join(stateDir, KEY_FILE);
  let keychainFailure: string | undefined;
  if (keychain) {
    try {
      return await keyFromKeychain(keychain, keyPath, log, notices);
    } catch (err) {
      keychainFailure = messageOf(err);
      log.warn('could not keep the token cache key in the keychain; using a key file', { keyFile: keyPath, error: keychainFailure });
    }
  }
  const existing = await readKeyFile(keyPath, log, notices);
  const key = existing ?? randomBytes(KEY_BYTES);
  if (!existing) await writeFileAtomic(keyPath, `${key.toString('base64')}\n`);
  const reason = keychainFailure ? `key file ${keyPath} (the keychain failed: ${keychainFailure})` : `key file ${keyPath}`;
  return { key, storage: 'key-file', reason };
}

async function keyFromKeychain(keychain: KeychainClient, keyPath: string, log: Logger, notices: Notices): Promise<FileKey> {
  const stored = await keychain.get(KEYCHAIN_KEY_ACCOUNT);
  const key = stored === null ? undefined : decodeKey(stored);
  const where = `keychain (${keychain.kind}, service ${keychain.service})`;
  if (key) return { key, storage: 'keychain', reason: `key in the ${where}` };
  if (stored !== null) {
    const suffix = corruptSuffix();
    await keychain.set(`${KEYCHAIN_KEY_ACCOUNT}${suffix}`, stored);
    log.warn('the token cache key in the keychain is malformed; kept it aside and made a new one', { service: keychain.service });
    notices.add(`The token cache key in the keychain (service ${keychain.service}) was malformed; it was kept as "${KEYCHAIN_KEY_ACCOUNT}${suffix}" and a new key was made, so cached sign-ins are reset.`);
  }
  const fromFile = await readKeyFile(keyPath, log, notices);
  const fresh = fromFile ?? randomBytes(KEY_BYTES);
  const encoded = fresh.toString('base64');
  await keychain.set(KEYCHAIN_KEY_ACCOUNT, encoded);
  if ((await keychain.get(KEYCHAIN_KEY_ACCOUNT)) !== encoded) throw new Error('the key written to the keychain did not read back');
  if (fromFile) {
    await rm(keyPath, { force: true });
    log.info('moved the token cache key from the key file into the keychain', { keyFile: keyPath, service: keychain.service });
  }
  return { key: fresh, storage: 'keychain', reason: `key in the ${where}` };
}

async function readKeyFile(keyPath: string, log: Logger, notices: Notices): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(keyPath, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const key = decodeKey(text);
  if (!key) {
    const aside = `${keyPath}${corruptSuffix()}`;
    await rename(keyPath, aside);
    log.warn('the token cache key file is malformed; kept it aside and made a new key', { keyFile: keyPath, keptAs: aside });
    notices.add(`The token cache key file ${keyPath} was malformed; it was moved to ${aside} and a new key was made, so cached sign-ins are reset.`);
    return undefined;
  }
  if (process.platform !== 'win32' && ((await stat(keyPath)).mode & 0o077) !== 0) {
    await chmod(keyPath, 0o600);
    log.warn('the token cache key file was readable by others; made it 0600', { keyFile: keyPath });
  }
  return key;
}

function decodeKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+=*$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}
