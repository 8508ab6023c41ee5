import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisTokenStore, userPartition } from '../../src/auth/cache/redisTokenStore.js';
import { AppOnlyClient } from '../../src/auth/appOnlyClient.js';
import { CallerBroker } from '../../src/auth/obo/callerBroker.js';
import { OboTokenService, type OboCaller, type OboOptions } from '../../src/auth/obo/index.js';
import { AppError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.js';
import { skipWithout } from '../helpers/system.js';

/**
 * On-behalf-of against the real emulator process (its OBO grant and Graph) and a real redis-server.
 * The emulator runs with 50 users (`--users 50`); "every user" means all of descriptor.users.
 */
const USERS = 50;
const skip = skipWithout('redis-server');

type McpServerApp = EmulatorProcess['descriptor']['apps']['mcpServer'];
type User = { id: string; upn: string };

const logLines: string[] = [];
const log = createLogger('debug', {}, (line) => logLines.push(line));
const redisKey = randomBytes(32).toString('base64');

let emulator: EmulatorProcess;
let redis: RedisServer;
let server: McpServerApp;
let caPem: string;
let users: User[];
let appBroker: AppOnlyClient;
/** The per-request broker the HTTP composition builds for one caller. */
const forCaller = (svc: OboTokenService, caller: OboCaller, app: AppOnlyClient) => new CallerBroker(svc, caller, app);
const stores: RedisTokenStore[] = [];
const services: OboTokenService[] = [];
const assertions = new Map<string, string>();

beforeAll(async () => {
  [emulator, redis] = await Promise.all([startEmulatorProcess(['--users', String(USERS)]), startRedisServer()]);
  const d = emulator.descriptor;
  server = d.apps.mcpServer;
  caPem = readFileSync(d.caCertPath, 'utf8');
  users = d.users.map((u) => ({ id: u.id, upn: u.upn }));
  appBroker = new AppOnlyClient({
    app: { clientId: d.apps.exportApp.clientId, clientSecret: d.apps.exportApp.clientSecret, authority: d.authority },
    identity: { authority: d.authority, knownAuthorities: [new URL(d.authorityHost).host], graphResource: d.graphResource, extraCaPem: caPem, onlyExtraCa: true },
    log,
  });
  // One incoming token per user, reused by every call (as an MCP client reuses its bearer token).
  await Promise.all(users.map(async (u) => assertions.set(u.id, await mint({ user: u.upn }))));
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.close()));
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all([emulator?.stop(), redis?.cleanup()]);
  // Nothing secret ever reached a log line.
  const all = logLines.join('\n');
  for (const a of assertions.values()) expect(all).not.toContain(a);
  if (server) expect(all).not.toContain(server.clientSecret);
});

beforeEach(async () => {
  await emulator.resetStats();
  // Every test starts from an empty shared cache (the incoming tokens are reused across tests).
  const raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await raw.connect();
  await raw.flushall();
  raw.disconnect();
});

async function mint(body: Record<string, unknown>): Promise<string> {
  const res = await emulator.control('/tokens/mint', body);
  if (!res.ok) throw new Error(`mint failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

function options(extra: Partial<OboOptions> = {}): OboOptions {
  const d = emulator.descriptor;
  return {
    authorityHost: d.authorityHost,
    tenantId: d.tenantId,
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    graphResource: d.graphResource,
    knownAuthorities: [new URL(d.authorityHost).host],
    extraCaPem: caPem,
    onlyExtraCa: true,
    log,
    ...extra,
  };
}

function newService(extra: Partial<OboOptions> = {}): OboTokenService {
  const service = new OboTokenService(options(extra));
  services.push(service);
  return service;
}

function newStore(): RedisTokenStore {
  const store = new RedisTokenStore({ url: redis.url, encryptionKey: redisKey, log });
  stores.push(store);
  return store;
}

function callerOf(u: User, assertion = assertions.get(u.id)!): OboCaller {
  return { assertion, userId: u.id, tenantId: emulator.descriptor.tenantId, upn: u.upn };
}

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function oboRequests(): Promise<number> {
  return (await emulator.stats()).tokenRequests.byGrant['on_behalf_of'] ?? 0;
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

function expectNoSecrets(err: AppError, ...secrets: string[]): void {
  const cause = err.cause as { message?: string; errorMessage?: string } | undefined;
  const text = [err.message, err.nextStep ?? '', JSON.stringify(err.details), String(cause?.message ?? ''), String(cause?.errorMessage ?? '')].join(' ');
  for (const s of [...secrets, server.clientSecret, redisKey]) expect(text).not.toContain(s);
}

const delegated = (scopes: string[], forceRefresh = false) => ({ flow: 'delegated' as const, scopes, ...(forceRefresh ? { forceRefresh } : {}) });

describe.skipIf(skip)('OboTokenService against the emulator', () => {
  it('exchanges the caller’s token for a Graph token that the emulated Graph accepts as that caller', async () => {
    const service = newService();
    const user = users[0]!;
    const broker = forCaller(service, callerOf(user), appBroker);
    const grant = await broker.getToken(delegated(['Files.Read.All']));
    expect(claims(grant.accessToken)['oid']).toBe(user.id);
    expect(grant.scopes).toEqual(expect.arrayContaining(['Files.Read.All', 'User.Read']));
    expect(grant.expiresOn!.getTime()).toBeGreaterThan(Date.now() + 300_000);
    const me = await fetch(`${emulator.descriptor.graphBaseUrl}/v1.0/me`, { headers: { authorization: `Bearer ${grant.accessToken}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { id: string }).id).toBe(user.id);
    expect(await broker.currentAccount()).toEqual({ userId: user.id, upn: user.upn, tenantId: emulator.descriptor.tenantId, homeAccountId: userPartition(user.id, emulator.descriptor.tenantId) });
    expect(await oboRequests()).toBe(1);

    // Warm: a new broker for the next request of the same caller is answered from the memo.
    const again = await forCaller(service, callerOf(user), appBroker).getToken(delegated(['Files.Read.All']));
    expect(again.accessToken).toBe(grant.accessToken);
    expect(service.stats()).toMatchObject({ memoHits: 1, oboRequests: 1, usersInMemory: 1 });
    expect(await oboRequests()).toBe(1);
  });

  it('sends 1,000 concurrent calls for one user to the identity provider once', async () => {
    const service = newService();
    const user = users[1]!;
    const grants = await Promise.all(Array.from({ length: 1_000 }, () => forCaller(service, callerOf(user), appBroker).getToken(delegated(['Sites.Read.All', 'Files.Read.All']))));
    expect(new Set(grants.map((g) => g.accessToken)).size).toBe(1);
    expect(await oboRequests()).toBe(1);
    expect(service.stats()).toMatchObject({ acquisitions: 1, oboRequests: 1, joinedInFlight: 999 });
  });

  it(`exchanges once per user when every user of the tenant calls concurrently, and never crosses users`, async () => {
    expect(users.length).toBe(USERS);
    const service = newService();
    const results = await Promise.all(
      users.flatMap((u) => Array.from({ length: 20 }, async () => ({ user: u, grant: await forCaller(service, callerOf(u), appBroker).getToken(delegated(['Files.Read.All'])) }))),
    );
    for (const { user, grant } of results) expect(claims(grant.accessToken)['oid']).toBe(user.id);
    expect(new Set(results.map((r) => r.grant.accessToken)).size).toBe(users.length);
    const stats = await emulator.stats();
    expect(stats.tokenRequests.byGrant['on_behalf_of']).toBe(users.length);
    for (const u of users) expect(stats.tokenRequests.byUser[u.upn]).toBe(1);
    // Warm round, from the memo: still each caller's own token.
    for (const u of users) expect(claims((await forCaller(service, callerOf(u), appBroker).getToken(delegated(['Files.Read.All']))).accessToken)['oid']).toBe(u.id);
    expect(service.stats().memoHits).toBe(users.length);
  });

  it('never hands one user’s cached token to another, through the memo, MSAL’s cache, LRU eviction and Redis', async () => {
    const store = newStore();
    // Three users in memory at most: the rest are evicted and come back through Redis or a new exchange.
    const service = newService({ redis: store, maxUsersInMemory: 3 });
    const sample = users.slice(0, 8);
    for (let round = 0; round < 3; round++) {
      for (const u of sample) {
        const grant = await forCaller(service, callerOf(u), appBroker).getToken(delegated(['Files.Read.All']));
        expect(claims(grant.accessToken)['oid']).toBe(u.id);
        expect((await forCaller(service, callerOf(u), appBroker).currentAccount())?.userId).toBe(u.id);
      }
    }
    expect(service.stats().usersInMemory).toBe(3);
    expect(service.stats().evictions).toBeGreaterThan(0);
    // Each user was exchanged once; evicted users came back from their own Redis partition.
    expect(await oboRequests()).toBe(sample.length);
    // Each Redis partition holds only its owner's entries.
    for (const u of sample) {
      const partition = userPartition(u.id, emulator.descriptor.tenantId);
      const cache = JSON.parse(await store.get(partition)) as Record<string, Record<string, { home_account_id?: string; secret?: string; credential_type?: string }>>;
      const entries = Object.values(cache).flatMap((section) => Object.values(section));
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries) if (entry.home_account_id !== undefined) expect(entry.home_account_id).toBe(partition);
      for (const at of Object.values(cache['AccessToken'] ?? {})) expect(claims(at.secret!)['oid']).toBe(u.id);
    }
  });

  it('keeps users apart under eviction pressure, with every user calling concurrently', async () => {
    for (const redisStore of [undefined, newStore()]) {
      // One user in memory for ten calling at once: entries are evicted while their exchanges run.
      const service = newService({ maxUsersInMemory: 1, ...(redisStore ? { redis: redisStore } : {}) });
      const results = await Promise.all(
        [0, 1, 2].flatMap(() =>
          users.flatMap((u) => Array.from({ length: 3 }, async () => ({ user: u, grant: await forCaller(service, callerOf(u), appBroker).getToken(delegated(['Sites.Read.All'])) }))),
        ),
      );
      for (const { user, grant } of results) {
        expect(claims(grant.accessToken)['oid']).toBe(user.id);
        expect(grant.account?.userId).toBe(user.id);
      }
      expect(service.stats().usersInMemory).toBe(1);
      for (const u of [...users, ...users]) expect(claims((await forCaller(service, callerOf(u), appBroker).getToken(delegated(['Sites.Read.All']))).accessToken)['oid']).toBe(u.id);
    }
  });

  it('skips the memo and MSAL’s cache on forceRefresh', async () => {
    const service = newService();
    const broker = forCaller(service, callerOf(users[2]!), appBroker);
    await broker.getToken(delegated(['Files.Read.All']));
    await broker.getToken(delegated(['Files.Read.All']));
    expect(await oboRequests()).toBe(1);
    const forced = await broker.getToken(delegated(['Files.Read.All'], true));
    expect(claims(forced.accessToken)['oid']).toBe(users[2]!.id);
    expect(await oboRequests()).toBe(2);
  });

  it('delegates app-only requests to the server’s app-only client unchanged', async () => {
    const service = newService();
    const viaObo = await forCaller(service, callerOf(users[0]!), appBroker).getToken({ flow: 'app', scopes: ['.default'] });
    const direct = await appBroker.token();
    expect(viaObo.accessToken).toBe(direct.accessToken);
    expect(await oboRequests()).toBe(0);
  });

  it('acquires each user’s token once across two server instances sharing one Redis', async () => {
    const [instanceA, instanceB] = [newService({ redis: newStore() }), newService({ redis: newStore() })];
    const sample = users;
    const results = await Promise.all(
      sample.flatMap((u) =>
        [instanceA, instanceB].flatMap((service) =>
          Array.from({ length: 5 }, async () => ({ user: u, grant: await forCaller(service, callerOf(u), appBroker).getToken(delegated(['Files.Read.All'])) })),
        ),
      ),
    );
    for (const { user, grant } of results) expect(claims(grant.accessToken)['oid']).toBe(user.id);
    expect(await oboRequests()).toBe(sample.length);
    const a = instanceA.stats();
    const b = instanceB.stats();
    expect(a.oboRequests + b.oboRequests).toBe(sample.length);
    expect(a.msalCacheHits + b.msalCacheHits).toBe(sample.length);

    // A third instance started later finds every user's token in Redis.
    const instanceC = newService({ redis: newStore() });
    for (const u of sample) await forCaller(instanceC, callerOf(u), appBroker).getToken(delegated(['Files.Read.All']));
    expect(instanceC.stats()).toMatchObject({ oboRequests: 0, msalCacheHits: sample.length });
    expect(await oboRequests()).toBe(sample.length);
  });

  it('fails fast with CacheUnavailable while Redis is down, keeps serving memoised grants, and recovers when Redis returns', async () => {
    const service = newService({ redis: newStore() });
    const [warm, cold] = [users[3]!, users[4]!];
    const warmGrant = await forCaller(service, callerOf(warm), appBroker).getToken(delegated(['Calendars.Read']));
    expect(await oboRequests()).toBe(1);
    await redis.stop();
    try {
      const started = Date.now();
      const err = await failure(forCaller(service, callerOf(cold), appBroker).getToken(delegated(['Calendars.Read'])));
      expect(Date.now() - started).toBeLessThan(10_000); // did not hang
      expect(err.code).toBe('CacheUnavailable');
      expect(err.details['retryable']).toBe(true);
      expect(err.nextStep).toContain(`redis://127.0.0.1:${redis.port}`);
      expectNoSecrets(err, assertions.get(cold.id)!);
      // Failed before the exchange: the identity provider was not asked for a token that could not be stored.
      expect(await oboRequests()).toBe(1);
      const memo = await forCaller(service, callerOf(warm), appBroker).getToken(delegated(['Calendars.Read']));
      expect(memo.accessToken).toBe(warmGrant.accessToken);
    } finally {
      await redis.start();
    }
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const grant = await forCaller(service, callerOf(cold), appBroker).getToken(delegated(['Calendars.Read']));
        expect(claims(grant.accessToken)['oid']).toBe(cold.id);
        break;
      } catch (err) {
        if ((err as AppError).code !== 'CacheUnavailable' || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(await oboRequests()).toBe(2);
  });

  it('lets an aborted caller go without cancelling the exchange others share', async () => {
    const service = newService();
    const user = users[5]!;
    const controller = new AbortController();
    const aborted = forCaller(service, callerOf(user), appBroker).getToken(delegated(['Files.Read.All']), controller.signal);
    const other = forCaller(service, callerOf(user), appBroker).getToken(delegated(['Files.Read.All']));
    controller.abort();
    expect((await failure(aborted)).code).toBe('Cancelled');
    expect(claims((await other).accessToken)['oid']).toBe(user.id);
    expect((await failure(forCaller(service, callerOf(user), appBroker).getToken(delegated(['Files.Read.All']), AbortSignal.abort()))).code).toBe('Cancelled');
  });

  describe('errors name the next step and never carry a secret', () => {
    it('an expired incoming token → Unauthenticated: the client must get a new token', async () => {
      const user = users[6]!;
      const expired = await mint({ user: user.upn, lifetimeSec: -60 });
      const err = await failure(forCaller(newService(), callerOf(user, expired), appBroker).getToken(delegated(['Files.Read.All'])));
      expect(err.code).toBe('Unauthenticated');
      expect(err.nextStep).toMatch(/client must get a new token/);
      expectNoSecrets(err, expired);
    });

    it('a forged incoming token → Unauthenticated', async () => {
      const user = users[6]!;
      const real = assertions.get(user.id)!;
      const forged = `${real.split('.').slice(0, 2).join('.')}.${Buffer.from('not the signature').toString('base64url')}`;
      const err = await failure(forCaller(newService(), callerOf(user, forged), appBroker).getToken(delegated(['Files.Read.All'])));
      expect(err.code).toBe('Unauthenticated');
      expectNoSecrets(err, forged, real);
    });

    it('a wrong server secret → AuthFailed naming the server credentials, without the secret', async () => {
      const user = users[6]!;
      const wrongSecret = `wrong-${randomBytes(12).toString('hex')}`;
      const err = await failure(forCaller(newService({ clientSecret: wrongSecret }), callerOf(user), appBroker).getToken(delegated(['Files.Read.All'])));
      expect(err.code).toBe('AuthFailed');
      expect(err.nextStep).toMatch(/M365_COPILOT_MCP_SERVER_CLIENT_SECRET/);
      expectNoSecrets(err, wrongSecret, assertions.get(user.id)!);
    });

    it('a user of a tenant where the server app is not registered → Forbidden, naming that tenant’s consent', async () => {
      const other = emulator.descriptor.otherTenant;
      const stranger = other.users[0]!;
      const assertion = await mint({ user: stranger.upn, tenant: other.tenantId });
      const caller = { assertion, userId: stranger.id, tenantId: other.tenantId, upn: stranger.upn };
      const err = await failure(forCaller(newService(), caller, appBroker).getToken(delegated(['Files.Read.All'])));
      expect(err.message).toMatch(/not registered in the caller's tenant/);
      expect(err.code).toBe('Forbidden');
      expect(err.nextStep).toContain(`/${other.tenantId}/adminconsent?client_id=${server.clientId}`);
      expectNoSecrets(err, assertion);
    });

    it('a permission the tenant never consented to → what an admin must grant', async () => {
      const user = users[6]!;
      const err = await failure(forCaller(newService(), callerOf(user), appBroker).getToken(delegated(['Mail.Send'])));
      expect(err.code).toBe('Forbidden');
      expect(err.details['consent']).toBe(true);
      expect(err.nextStep).toMatch(/admin/);
      expect(err.nextStep).toContain('Mail.Send');
      expectNoSecrets(err, assertions.get(user.id)!);
    });
  });
});
