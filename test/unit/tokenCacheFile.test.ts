import { spawnSync } from 'node:child_process';
import { TokenCacheContext } from '@azure/msal-node';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTokenCache } from '../../src/auth/cache/index.js';
import { CacheLock } from '../../src/auth/cache/lock.js';
import { EncryptedFileStore } from '../../src/auth/cache/fileStore.js';
import { partitionLabel } from '../../src/auth/cache/partitions.js';
import { createCachePlugin } from '../../src/auth/cache/plugin.js';
import { Notices } from '../../src/auth/cache/store.js';
import type { OpenTokenCacheOptions } from '../../src/auth/cache/types.js';
import { createLogger } from '../../src/log.js';
import { ADA, GRACE, cacheJson, homeAccountId, newPca, readThroughMsal, secretsOf, writeThroughMsal } from '../helpers/tokenCacheChild.mjs';

const noKeytar = async () => {
  throw Object.assign(new Error("Cannot find package 'keytar' imported from src/auth/cache/keychain.ts"), { code: 'ERR_MODULE_NOT_FOUND' });
};

let root: string;
let stateDir: string;
let logLines: string[];
const log = createLogger('debug', {}, (line) => logLines.push(line));

const open = (extra: Partial<OpenTokenCacheOptions> = {}) =>
  openTokenCache({ stateDir, preference: 'file', log, keychain: { load: noKeytar }, ...extra });

const fileOf = (user: typeof ADA) => join(stateDir, `tokens-${partitionLabel(homeAccountId(user))}.enc`);
const refreshTokens = (json: { RefreshToken: Record<string, { secret: string }> }) => Object.values(json.RefreshToken).map((rt) => rt.secret).sort();
const usernames = (accounts: Array<{ username: string }>) => accounts.map((a) => a.username).sort();

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'm365-token-cache-'));
  stateDir = join(root, 'state');
  logLines = [];
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('encrypted file token cache', () => {
  it('round-trips two accounts through MSAL into a second instance', async () => {
    const cache = await open();
    expect(cache.info).toMatchObject({ kind: 'encrypted-file', location: stateDir, keyStorage: 'key-file' });
    expect(cache.info.reason).toContain('token cache set to file');
    await writeThroughMsal(newPca(cache.plugin), cache.plugin, () => cacheJson([ADA, GRACE]));

    const { accounts, json } = await readThroughMsal((await open()).plugin);
    expect(usernames(accounts)).toEqual([ADA.username, GRACE.username]);
    const expected = cacheJson([ADA, GRACE]);
    expect(json.RefreshToken).toEqual(expected.RefreshToken);
    expect(json.AccessToken).toEqual(expected.AccessToken);
    expect(json.IdToken).toEqual(expected.IdToken);
    expect(json.AppMetadata).toEqual(expected.AppMetadata);
    expect(Object.keys(json.Account).sort()).toEqual(Object.keys(expected.Account).sort());

    // And MSAL's own silent path finds each account's access token through the plugin.
    const pca = newPca((await open()).plugin);
    for (const user of [ADA, GRACE]) {
      const account = (await pca.getAllAccounts()).find((a) => a.username === user.username)!;
      expect((await pca.acquireTokenSilent({ account, scopes: ['User.Read'] })).accessToken).toBe(secretsOf(user).accessToken);
    }
  });

  it('keeps its directory 0700 and files 0600, one file per account, with no token or account id in clear', async () => {
    const cache = await open();
    await writeThroughMsal(newPca(cache.plugin), cache.plugin, () => cacheJson([ADA, GRACE]));

    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    const names = (await readdir(stateDir)).sort();
    expect(names).toEqual(['cache.key', `tokens-${partitionLabel(homeAccountId(ADA))}.enc`, `tokens-${partitionLabel(homeAccountId(GRACE))}.enc`, 'tokens-app.enc'].sort());
    for (const name of names) expect((await stat(join(stateDir, name))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(stateDir, 'cache.key'), 'utf8')).trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/);

    const forbidden = [ADA, GRACE].flatMap((u) => [secretsOf(u).refreshToken, secretsOf(u).accessToken, homeAccountId(u), u.oid, u.username]);
    for (const name of names) {
      const content = await readFile(join(stateDir, name), 'latin1');
      for (const secret of forbidden) expect(content).not.toContain(secret);
    }
    const logs = logLines.join('');
    expect(logs).toContain('token cache backend chosen');
    for (const secret of forbidden) expect(logs).not.toContain(secret);
  });

  it('rewrites only the partitions whose content changed', async () => {
    const cache = await open();
    const pca = newPca(cache.plugin);
    await writeThroughMsal(pca, cache.plugin, () => cacheJson([ADA, GRACE]));
    const inode = async (path: string) => (await stat(path)).ino;
    const before = { ada: await inode(fileOf(ADA)), grace: await inode(fileOf(GRACE)), app: await inode(join(stateDir, 'tokens-app.enc')) };

    await pca.getTokenCache().getAllAccounts(); // a read: MSAL passes cacheHasChanged = false
    expect(await inode(fileOf(ADA))).toBe(before.ada);

    await writeThroughMsal(pca, cache.plugin, (json) => ({ ...json, RefreshToken: { ...json.RefreshToken, ...cacheJson([ADA], 7).RefreshToken } }));
    expect(await inode(fileOf(ADA))).not.toBe(before.ada);
    expect(await inode(fileOf(GRACE))).toBe(before.grace);
    expect(await inode(join(stateDir, 'tokens-app.enc'))).toBe(before.app);
    expect(refreshTokens((await readThroughMsal(cache.plugin)).json)).toEqual([secretsOf(ADA, 7).refreshToken, secretsOf(GRACE).refreshToken].sort());
  });

  it('removes one account (removeAccount, or MSAL removing it) and everything with clear()', async () => {
    const cache = await open();
    const pca = newPca(cache.plugin);
    await writeThroughMsal(pca, cache.plugin, () => cacheJson([ADA, GRACE]));

    await cache.removeAccount(homeAccountId(ADA));
    await expect(stat(fileOf(ADA))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(usernames((await readThroughMsal(cache.plugin)).accounts)).toEqual([GRACE.username]);

    // This MSAL instance still lists Ada from memory (deserialize only adds); removing Grace through
    // it must not write Ada back.
    const grace = (await pca.getTokenCache().getAllAccounts()).find((a) => a.username === GRACE.username)!;
    await pca.getTokenCache().removeAccount(grace);
    expect((await readdir(stateDir)).filter((n) => n.startsWith('tokens-')).sort()).toEqual(['tokens-app.enc']);
    await expect(stat(fileOf(GRACE))).rejects.toMatchObject({ code: 'ENOENT' });

    await writeThroughMsal(pca, cache.plugin, () => cacheJson([ADA, GRACE]));
    await cache.clear();
    expect((await readdir(stateDir)).sort()).toEqual(['cache.key']);
  });

  it('never writes back an account that another instance removed', async () => {
    const mine = await open();
    const pca = newPca(mine.plugin);
    await writeThroughMsal(pca, mine.plugin, () => cacheJson([ADA, GRACE]));
    await (await open()).removeAccount(homeAccountId(ADA)); // e.g. `logout` from another process

    await writeThroughMsal(pca, mine.plugin, (json) => ({ ...json, RefreshToken: { ...json.RefreshToken, ...cacheJson([GRACE], 4).RefreshToken } }));
    await expect(stat(fileOf(ADA))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(refreshTokens((await readThroughMsal((await open()).plugin)).json)).toEqual([secretsOf(GRACE, 4).refreshToken]);
  });

  it('sets aside a partition MSAL cannot load instead of failing every token call', async () => {
    const cache = await open();
    await writeThroughMsal(newPca(cache.plugin), cache.plugin, () => cacheJson([ADA, GRACE]));
    const key = Buffer.from((await readFile(join(stateDir, 'cache.key'), 'utf8')).trim(), 'base64');
    const broken = cacheJson([ADA]);
    for (const account of Object.values(broken.Account) as Array<Record<string, unknown>>) account.tenantProfiles = 'not a list';
    await new EncryptedFileStore(stateDir, key, new Notices(), log).write(homeAccountId(ADA), broken);

    const reopened = await open();
    expect(usernames((await readThroughMsal(reopened.plugin)).accounts)).toEqual([GRACE.username]);
    expect(reopened.notices()).toEqual([expect.stringContaining('MSAL cannot load it')]);
    expect((await readdir(stateDir)).filter((n) => n.includes('.corrupt-'))).toHaveLength(1);
  });

  it('recreates its directory if it is removed while running', async () => {
    const cache = await open();
    await rm(stateDir, { recursive: true });
    await writeThroughMsal(newPca(cache.plugin), cache.plugin, () => cacheJson([ADA]));
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect(usernames((await readThroughMsal(cache.plugin)).accounts)).toEqual([ADA.username]);
  });

  const damage: Record<string, (path: string) => Promise<void>> = {
    'a truncated file': async (path) => writeFile(path, (await readFile(path)).subarray(0, 20)),
    'garbage': async (path) => writeFile(path, 'not a cache at all {'),
    'a tampered GCM tag': async (path) => {
      const box = await readFile(path);
      box[4 + 1 + 8 + 12]! ^= 0x01; // first byte of the tag
      await writeFile(path, box);
    },
    'an empty file': async (path) => writeFile(path, ''),
  };
  for (const [what, spoil] of Object.entries(damage)) {
    it(`starts that account afresh on ${what}, keeping the file aside with a notice`, async () => {
      const cache = await open();
      await writeThroughMsal(newPca(cache.plugin), cache.plugin, () => cacheJson([ADA, GRACE]));
      await spoil(fileOf(ADA));
      const spoiled = await readFile(fileOf(ADA));

      const reopened = await open();
      const { accounts } = await readThroughMsal(reopened.plugin);
      expect(usernames(accounts)).toEqual([GRACE.username]);
      const notices = reopened.notices();
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain(fileOf(ADA));
      expect(notices[0]).toContain('login');
      expect(reopened.notices()).toEqual([]);
      const aside = (await readdir(stateDir)).filter((n) => n.includes('.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(await readFile(join(stateDir, aside[0]!))).toEqual(spoiled);
      expect(logLines.some((l) => l.includes('"level":"warn"') && l.includes(fileOf(ADA)))).toBe(true);

      await writeThroughMsal(newPca(reopened.plugin), reopened.plugin, () => cacheJson([ADA, GRACE], 2));
      expect(usernames((await readThroughMsal((await open()).plugin)).accounts)).toEqual([ADA.username, GRACE.username]);
    });
  }

  it('says the key is wrong when the key file was replaced, and keeps every file aside', async () => {
    const cache = await open();
    await writeThroughMsal(newPca(cache.plugin), cache.plugin, () => cacheJson([ADA, GRACE]));
    await writeFile(join(stateDir, 'cache.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });

    const reopened = await open();
    expect((await readThroughMsal(reopened.plugin)).accounts).toEqual([]);
    const notices = reopened.notices();
    expect(notices).toHaveLength(3);
    for (const notice of notices) expect(notice).toContain('different key');
    expect((await readdir(stateDir)).filter((n) => n.includes('.corrupt-'))).toHaveLength(3);
  });

  it('replaces a malformed key file, keeping it aside', async () => {
    await open();
    await writeFile(join(stateDir, 'cache.key'), 'short\n');
    const reopened = await open();
    expect(reopened.notices()[0]).toContain('cache.key was malformed');
    expect((await readdir(stateDir)).some((n) => n.startsWith('cache.key.corrupt-'))).toBe(true);
    expect((await readFile(join(stateDir, 'cache.key'), 'utf8')).trim()).toHaveLength(44);
  });
});

describe('token cache backend choice', () => {
  it("'auto' without keytar uses the encrypted file with its key in a key file, and says why", async () => {
    const cache = await open({ preference: 'auto' });
    expect(cache.info).toMatchObject({ kind: 'encrypted-file', keyStorage: 'key-file' });
    expect(cache.info.reason).toMatch(/^keytar is not installed/);
    expect(cache.info.reason).toContain(join(stateDir, 'cache.key'));
  });

  it("'auto' with a keychain that fails falls back and names the error", async () => {
    const failing = async () => ({
      getPassword: async () => null,
      setPassword: async () => {
        throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
      },
      deletePassword: async () => false,
      findCredentials: async () => [],
    });
    const cache = await open({ preference: 'auto', keychain: { load: failing } });
    expect(cache.info.kind).toBe('encrypted-file');
    expect(cache.info.reason).toContain('keychain unavailable: Cannot autolaunch D-Bus without X11 $DISPLAY');
  });

  it('gives up on a keychain that hangs after the probe timeout', async () => {
    const hanging = async () => ({
      getPassword: () => new Promise(() => {}),
      setPassword: () => new Promise(() => {}),
      deletePassword: () => new Promise(() => {}),
      findCredentials: () => new Promise(() => {}),
    });
    const started = Date.now();
    const cache = await open({ preference: 'auto', keychain: { load: hanging, probeTimeoutMs: 200 } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(cache.info.reason).toContain('did not answer within 0.2 s');
  });

  it("'keychain' without a keychain is a clear error", async () => {
    await expect(open({ preference: 'keychain' })).rejects.toMatchObject({
      code: 'ConfigInvalid',
      message: expect.stringContaining('keytar is not installed'),
      nextStep: expect.stringContaining('"auto" or "file"'),
    });
  });

  it("'memory' persists nothing and writes no files", async () => {
    const cache = await open({ preference: 'memory' });
    expect(cache.info.kind).toBe('memory');
    expect(cache.plugin).toBeUndefined();
    await expect(stat(stateDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('token cache lock', () => {
  it('takes over a stale lock whose holder is gone', async () => {
    const cache = await open();
    const lockPath = join(stateDir, 'token-cache.lock');
    await writeFile(lockPath, JSON.stringify({ pid: 4_194_000, host: hostname(), since: '2026-01-01T00:00:00Z' }));
    const old = new Date(Date.now() - 20_000);
    await utimes(lockPath, old, old);

    await writeThroughMsal(newPca(cache.plugin), cache.plugin, () => cacheJson([ADA]));
    expect(usernames((await readThroughMsal(cache.plugin)).accounts)).toEqual([ADA.username]);
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(logLines.some((l) => l.includes('took over a stale token cache lock'))).toBe(true);
  });

  it('takes over at once a fresh lock whose holder exited while holding it (a server closed mid-write)', async () => {
    const cache = await open();
    const lockPath = join(stateDir, 'token-cache.lock');
    // A real process of this host that took the lock and is gone: its pid is not alive.
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(lockPath, JSON.stringify({ pid: Number(child.stdout), host: hostname(), since: new Date().toISOString() }));
    const started = Date.now();
    await writeThroughMsal(newPca(cache.plugin), cache.plugin, () => cacheJson([ADA]));
    expect(Date.now() - started).toBeLessThan(5_000); // not the 10 s a live holder gets
    expect(usernames((await readThroughMsal(cache.plugin)).accounts)).toEqual([ADA.username]);
    expect(logLines.some((l) => l.includes('took over a stale token cache lock'))).toBe(true);
  });

  it('a fresh lock of a live holder is not taken over', async () => {
    await open();
    const lockPath = join(stateDir, 'token-cache.lock');
    await writeFile(lockPath, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
    await expect(new CacheLock(lockPath, { log, timeoutMs: 200 }).acquire()).rejects.toMatchObject({ code: 'ServiceUnavailable' });
    await expect(stat(lockPath)).resolves.toBeTruthy();
  });

  it('waits for a live holder, then fails with a clear error; queues callers in one process', async () => {
    await open();
    const lockPath = join(stateDir, 'token-cache.lock');
    const holder = await new CacheLock(lockPath, { log }).acquire();
    const other = new CacheLock(lockPath, { log, timeoutMs: 200 });
    await expect(other.acquire()).rejects.toMatchObject({ code: 'ServiceUnavailable', message: expect.stringContaining('the token cache is busy') });
    await holder.release();
    const second = await other.acquire();

    const order: string[] = [];
    const third = other.acquire().then((h) => (order.push('third'), h));
    await new Promise((r) => setTimeout(r, 50));
    order.push('second releases');
    await second.release();
    await (await third).release();
    expect(order).toEqual(['second releases', 'third']);
  });

  it('releases a lock MSAL abandons, and merges a late write-back with what others wrote meanwhile', async () => {
    const { plugin: seeder } = await open();
    await writeThroughMsal(newPca(seeder), seeder, () => cacheJson([ADA, GRACE]));
    const key = Buffer.from((await readFile(join(stateDir, 'cache.key'), 'utf8')).trim(), 'base64');
    const store = new EncryptedFileStore(stateDir, key, new Notices(), log);
    const lock = new CacheLock(join(stateDir, 'token-cache.lock'), { log });
    const plugin = createCachePlugin({ store, lock, log, abandonAfterMs: 100 });

    const pca = newPca(plugin);
    const ctx = new TokenCacheContext(pca.getTokenCache(), true);
    await plugin.beforeCacheAccess(ctx);
    await new Promise((r) => setTimeout(r, 250));
    expect(logLines.some((l) => l.includes('MSAL did not finish a token cache access in time'))).toBe(true);

    // Another writer gets the lock meanwhile and rotates Grace's refresh token.
    const other = await open();
    await writeThroughMsal(newPca(other.plugin), other.plugin, (json) => ({ ...json, RefreshToken: { ...json.RefreshToken, ...cacheJson([GRACE], 5).RefreshToken } }));

    // The late write-back (Ada's rotation) must not undo Grace's.
    const tokenCache = pca.getTokenCache();
    const mine = JSON.parse(tokenCache.serialize());
    tokenCache.deserialize(JSON.stringify({ ...mine, RefreshToken: { ...mine.RefreshToken, ...cacheJson([ADA], 3).RefreshToken } }));
    await plugin.afterCacheAccess(ctx);

    expect(refreshTokens((await readThroughMsal(other.plugin)).json)).toEqual([secretsOf(ADA, 3).refreshToken, secretsOf(GRACE, 5).refreshToken].sort());
  });

  it('does nothing in afterCacheAccess when beforeCacheAccess failed', async () => {
    const cache = await open();
    const holder = await new CacheLock(join(stateDir, 'token-cache.lock'), { log }).acquire();
    const lock = new CacheLock(join(stateDir, 'token-cache.lock'), { log, timeoutMs: 100 });
    const key = Buffer.from((await readFile(join(stateDir, 'cache.key'), 'utf8')).trim(), 'base64');
    const plugin = createCachePlugin({ store: new EncryptedFileStore(stateDir, key, new Notices(), log), lock, log });
    const pca = newPca(plugin);
    // MSAL's getAllAccounts calls after from a finally even when before threw.
    await expect(pca.getTokenCache().getAllAccounts()).rejects.toMatchObject({ code: 'ServiceUnavailable' });
    await holder.release();
    expect((await readdir(stateDir)).filter((n) => n.startsWith('tokens-'))).toEqual([]);
    expect(cache.notices()).toEqual([]);
  });
});
