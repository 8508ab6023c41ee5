import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTokenCacheModule, runTokenCacheChild } from '../helpers/keychainSession.js';
import { skipWithout } from '../helpers/system.js';
import { ADA, GRACE, cacheJson, homeAccountId, secretsOf } from '../helpers/tokenCacheChild.mjs';

// These run against a real Secret Service (gnome-keyring in a private D-Bus session).
const skip = skipWithout('keychain');
const SERVICE = 'm365-copilot-mcp-test';

describe.skipIf(skip)('token cache in the OS keychain', () => {
  let moduleUrl: string;
  let root: string;
  let report: any;

  beforeAll(async () => {
    moduleUrl = await buildTokenCacheModule();
    root = await mkdtemp(join(tmpdir(), 'm365-token-cache-keychain-'));
    // One D-Bus session and keyring for the whole scenario; the tests below check its report.
    report = await runTokenCacheChild(
      moduleUrl,
      { op: 'keychainSuite', stateDir: join(root, 'state'), fileStateDir: join(root, 'file-state'), service: SERVICE },
      { keyringHome: join(root, 'home') },
    );
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("'auto' picks the keychain and MSAL reads both accounts back through a new instance", () => {
    expect(report.info).toEqual({ kind: 'keychain', location: `Secret Service, service "${SERVICE}"`, reason: 'OS keychain available' });
    expect(report.readBack.usernames).toEqual([ADA.username, GRACE.username]);
    const expected = cacheJson([ADA, GRACE]);
    expect(report.readBack.json.RefreshToken).toEqual(expected.RefreshToken);
    expect(report.readBack.json.AccessToken).toEqual(expected.AccessToken);
  });

  it('keeps one entry per account, one for app-wide entries and an index', () => {
    expect(report.entries).toEqual(['token-cache-app', 'token-cache-index', `token-cache:${homeAccountId(ADA)}`, `token-cache:${homeAccountId(GRACE)}`].sort());
    const adaEntry = report.entryValues.find((v: string) => v.includes(secretsOf(ADA).refreshToken));
    expect(adaEntry).toBeDefined();
    expect(adaEntry).not.toContain(secretsOf(GRACE).refreshToken);
  });

  it('removeAccount deletes that entry only; clear() deletes every token entry', () => {
    expect(report.afterRemove.entries).toEqual(['token-cache-app', 'token-cache-index', `token-cache:${homeAccountId(GRACE)}`]);
    expect(report.afterRemove.usernames).toEqual([GRACE.username]);
    // What is left is the file cache's key, which is not a token.
    expect(report.afterClear).toEqual(['file-cache-key']);
  });

  it('rebuilds a damaged index from the entries, and keeps a damaged entry aside with a notice', () => {
    expect(report.indexRebuilt).toEqual([GRACE.username]);
    expect(report.corrupt.usernames).toEqual([]);
    expect(report.corrupt.notices).toEqual([expect.stringMatching(/keychain \(service m365-copilot-mcp-test, partition [0-9a-f]{32}\) was unreadable \(it is not valid JSON\)/)]);
    expect(report.corrupt.entries.filter((e: string) => e.startsWith(`token-cache:${homeAccountId(GRACE)}.corrupt-`))).toHaveLength(1);
    expect(report.corrupt.entries).not.toContain(`token-cache:${homeAccountId(GRACE)}`);
  });

  it('splits a partition larger than the value limit across entries and reads it back whole', () => {
    expect(report.chunked.entries).toContain(`token-cache:${homeAccountId(ADA)}#2`);
    expect(report.chunked.json.RefreshToken).toEqual(cacheJson([ADA]).RefreshToken);
    expect(report.chunked.afterClear).toEqual([]);
  });

  it("'file' keeps its key in the keychain: no key file, and a new instance decrypts the files", async () => {
    expect(report.fileInfo).toMatchObject({ kind: 'encrypted-file', keyStorage: 'keychain' });
    expect(report.fileInfo.reason).toContain('key in the keychain (Secret Service');
    expect(report.fileReadBack).toEqual([GRACE.username]);
    expect(report.fileNotices).toEqual([]);
    const names = await readdir(join(root, 'file-state'));
    expect(names).not.toContain('cache.key');
    expect(names.filter((n) => n.startsWith('tokens-'))).toHaveLength(2);
  });

  it("without a session bus, 'auto' falls back to the encrypted file and says the keychain is unavailable", async () => {
    const stateDir = join(root, 'no-bus');
    const result = await runTokenCacheChild(moduleUrl, { op: 'backendInfo', stateDir, service: SERVICE, preference: 'auto' }, { noSessionBus: true });
    expect(result.info).toMatchObject({ kind: 'encrypted-file', keyStorage: 'key-file' });
    expect(result.info.reason).toMatch(/^keychain unavailable: .*D-Bus/);

    const strict = await runTokenCacheChild(moduleUrl, { op: 'backendInfo', stateDir, service: SERVICE, preference: 'keychain' }, { noSessionBus: true });
    expect(strict.error).toMatchObject({ code: 'ConfigInvalid', message: expect.stringContaining('keychain unavailable') });
  });

  it("with a Secret Service that cannot be unlocked, 'auto' falls back within the probe timeout", async () => {
    const started = Date.now();
    const result = await runTokenCacheChild(
      moduleUrl,
      { op: 'backendInfo', stateDir: join(root, 'locked'), service: SERVICE, preference: 'auto', probeTimeoutMs: 1_500 },
      { keyringHome: join(root, 'home-locked'), lockedKeyring: true },
    );
    expect(result.info).toMatchObject({ kind: 'encrypted-file', keyStorage: 'key-file' });
    expect(result.info.reason).toMatch(/^keychain unavailable: /);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
