import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/auth/cache/redisConnection.js';
import { AppError } from '../../src/errors.js';
import { createTokenBucket } from '../../src/graph/rateLimiter.js';
import { createLogger } from '../../src/log.js';
import { RetrievalBudgetTracker, type BudgetCaller } from '../../src/policy/retrievalBudget.js';
import { createSharedRateLimiter } from '../../src/policy/sharedRateLimiter.js';
import { SharedRetrievalBudget } from '../../src/policy/sharedRetrievalBudget.js';
import type { SharedScripts } from '../../src/policy/sharedScripts.js';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.js';
import { skipWithout } from '../helpers/system.js';

/**
 * The retrieval budget and the export rate limit shared through a real redis-server: several
 * "instances" (each with its own connection, as separate processes would have) together let
 * through no more than one, and a Redis outage falls back to per-instance limits instead of failing.
 */
const skip = skipWithout('redis-server');
const lines: string[] = [];
const log = createLogger('debug', {}, (line) => lines.push(line));
let redis: RedisServer;
const connections: RedisConnection[] = [];

beforeAll(async () => {
  if (!skip) redis = await startRedisServer();
});

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await redis?.cleanup();
});

/** One instance's view of Redis, as composeHttp builds it. */
function instanceScripts(): SharedScripts {
  const connection = new RedisConnection({ url: redis.url, log, connectTimeoutMs: 300, commandTimeoutMs: 500, reconnectMaxDelayMs: 100 });
  connections.push(connection);
  return { target: connection.target, run: (script, keys, args) => connection.run('a shared limit', (c) => c.eval(script, keys.length, ...keys, ...args)) };
}

let users = 0;
const newUser = (): BudgetCaller => ({ userId: `user-${++users}-${Date.now()}`, tenantId: 'tenant-a', upn: `u${users}@contoso.example` });
const budgets = (n: number, limit: number) => Array.from({ length: n }, () => new SharedRetrievalBudget(instanceScripts(), new RetrievalBudgetTracker(limit), log));
const refusal = async (p: Promise<unknown>): Promise<AppError | undefined> => p.then(() => undefined, (err: unknown) => (err instanceof AppError ? err : Promise.reject(err)));

describe.skipIf(skip)('shared retrieval budget', () => {
  it('lets three instances racing for one user’s hour through no more than the limit, atomically', async () => {
    const instances = budgets(3, 5);
    const user = newUser();
    const attempts = await Promise.all(
      Array.from({ length: 15 }, async (_, i) => {
        const budget = instances[i % 3]!;
        const err = await refusal(budget.begin(async () => user, 1).then((t) => t.settle([{ status: 200 }])));
        return err?.code ?? 'ok';
      }),
    );
    expect(attempts.filter((a) => a === 'ok').length).toBe(5);
    expect(attempts.filter((a) => a === 'BudgetExhausted').length).toBe(10);
    for (const budget of instances) expect(await budget.status(user)).toMatchObject({ limit: 5, remaining: 0 });
  });

  it('gives back what Graph did not count, for every instance to see', async () => {
    const [a, b] = budgets(2, 3);
    const user = newUser();
    const ticket = await a!.begin(async () => user, 3);
    expect((await b!.status(user)).remaining).toBe(0);
    // A $batch of three: one counted, one refused for its token, one never answered.
    const after = await ticket.settle([{ status: 200 }, { status: 401 }, { status: undefined }]);
    expect(after).toMatchObject({ remaining: 2 });
    expect((await b!.status(user)).remaining).toBe(2);
  });

  it('blocks the user on every instance until Graph’s Retry-After when one instance was answered 429', async () => {
    const [a, b] = budgets(2, 100);
    const user = newUser();
    await (await a!.begin(async () => user, 1)).settle([{ status: 429, retryAfterSeconds: 120 }]);
    const err = await refusal(b!.begin(async () => user, 1));
    expect(err?.code).toBe('BudgetExhausted');
    expect(err?.message).toContain('Graph throttled Copilot Retrieval');
    expect(err?.details['retryAfterSeconds']).toBeGreaterThan(100);
  });

  it('counts a caller known only after the call (the first call of a sign-in)', async () => {
    const [a, b] = budgets(2, 4);
    const user = newUser();
    let known: BudgetCaller | undefined;
    const ticket = await a!.begin(async () => known, 1);
    known = user;
    await ticket.settle([{ status: 200 }]);
    expect((await b!.status(user)).remaining).toBe(3);
  });

  it('falls back to per-instance counting while Redis is down, without failing calls, and shares again when it returns', async () => {
    const [a] = budgets(1, 2);
    const user = newUser();
    await redis.stop();
    try {
      for (let i = 0; i < 2; i++) await (await a!.begin(async () => user, 1)).settle([{ status: 200 }]);
      // Fail-safe: this instance still enforces the limit on its own.
      expect((await refusal(a!.begin(async () => user, 1)))?.code).toBe('BudgetExhausted');
      expect(lines.some((l) => l.includes('shared retrieval budget (Redis) is unreachable'))).toBe(true);
    } finally {
      await redis.start();
    }
    const other = newUser();
    let status = await a!.status(other);
    for (let i = 0; i < 40 && !lines.some((l) => l.includes('shared retrieval budget (Redis) is reachable again')); i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await a!.status(other);
    }
    expect(status.remaining).toBe(2);
    expect(lines.some((l) => l.includes('reachable again'))).toBe(true);
  });
});

describe.skipIf(skip)('shared rate limiter', () => {
  const RATE = { ratePerSecond: 20, burst: 5 };
  const limiter = (scripts: SharedScripts, name: string) => createSharedRateLimiter({ ...RATE, scripts, name, fallback: createTokenBucket(RATE), log });

  it('grants three instances together no faster than one bucket', async () => {
    const name = `test-${Date.now()}`;
    const instances = [0, 1, 2].map(() => limiter(instanceScripts(), name));
    const started = performance.now();
    await Promise.all(instances.flatMap((l) => Array.from({ length: 10 }, () => l.acquire(undefined, 'caller'))));
    const elapsed = performance.now() - started;
    // 30 permits from one bucket of 5 refilled at 20/s take at least (30 − 5) / 20 s; three separate
    // buckets would have granted them in (10 − 5) / 20 s. A lower bound: a slow machine only adds time.
    expect(elapsed).toBeGreaterThanOrEqual(((30 - RATE.burst) / RATE.ratePerSecond) * 1000 - 50);
  });

  it('serves callers in turn: one caller’s queue does not hold another behind all of it', async () => {
    const l = limiter(instanceScripts(), `fair-${Date.now()}`);
    const order: string[] = [];
    const long = Array.from({ length: 20 }, () => l.acquire(undefined, 'scanner').then(() => order.push('scanner')));
    await new Promise((r) => setTimeout(r, 20));
    const admin = l.acquire(undefined, 'admin').then(() => order.push('admin'));
    await Promise.all([...long, admin]);
    expect(order.indexOf('admin')).toBeLessThan(10);
  });

  it('still grants permits, from the instance’s own bucket, while Redis is down', async () => {
    const l = limiter(instanceScripts(), `down-${Date.now()}`);
    await l.acquire(undefined, 'x');
    await redis.stop();
    try {
      await Promise.all(Array.from({ length: 3 }, () => l.acquire(undefined, 'x')));
      expect(lines.some((line) => line.includes('shared rate limit (Redis) is unreachable'))).toBe(true);
    } finally {
      await redis.start();
    }
  });

  it('cancels a waiter whose signal fires', async () => {
    const l = limiter(instanceScripts(), `cancel-${Date.now()}`);
    await Promise.all(Array.from({ length: RATE.burst }, () => l.acquire(undefined, 'x')));
    const controller = new AbortController();
    const waiting = l.acquire(controller.signal, 'x');
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'Cancelled' });
  });
});
