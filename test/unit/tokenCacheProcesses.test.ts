import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTokenCache } from '../../src/auth/cache/index.js';
import { createLogger } from '../../src/log.js';
import { buildTokenCacheModule, runTokenCacheChild } from '../helpers/keychainSession.js';
import { ADA, GRACE, readThroughMsal, secretsOf, sharedCount } from '../helpers/tokenCacheChild.mjs';

const ROUNDS = 50;
let moduleUrl: string;
let root: string;

beforeAll(async () => {
  moduleUrl = await buildTokenCacheModule();
  root = await mkdtemp(join(tmpdir(), 'm365-token-cache-procs-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('two server processes sharing one encrypted file cache', () => {
  it(`keeps every refresh token when both write ${ROUNDS} times at once`, async () => {
    const stateDir = join(root, 'state');
    const results = await Promise.all(
      [ADA, GRACE].map((user) => runTokenCacheChild(moduleUrl, { op: 'hammer', stateDir, user, rounds: ROUNDS }, { timeoutMs: 60_000 })),
    );
    expect(results).toEqual([{ rounds: ROUNDS, notices: [] }, { rounds: ROUNDS, notices: [] }]);

    const lines: string[] = [];
    const cache = await openTokenCache({ stateDir, preference: 'file', log: createLogger('debug', {}, (l) => lines.push(l)), keychain: { load: () => Promise.reject(new Error('not used')) } });
    const { accounts, json } = await readThroughMsal(cache.plugin);
    expect(accounts.map((a: { username: string }) => a.username).sort()).toEqual([ADA.username, GRACE.username]);
    const secrets = Object.values(json.RefreshToken as Record<string, { secret: string }>).map((rt) => rt.secret);
    expect(secrets).toContain(secretsOf(ADA, ROUNDS).refreshToken);
    expect(secrets).toContain(secretsOf(GRACE, ROUNDS).refreshToken);
    // Every read-modify-write of the shared entry survived: none ran against a stale read.
    expect(sharedCount(json)).toBe(2 * ROUNDS);
    expect(cache.notices()).toEqual([]);
    const names = await readdir(stateDir);
    expect(names.filter((n) => n.includes('.corrupt-') || n.endsWith('.tmp') || n.endsWith('.lock'))).toEqual([]);
  });
});
