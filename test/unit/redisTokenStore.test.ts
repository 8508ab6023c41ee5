import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_KEY_PREFIX, RedisTokenStore, userPartition } from '../../src/auth/cache/redisTokenStore.js';
import { AppError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.js';
import { skipWithout } from '../helpers/system.js';

const PASSWORD = 'redis-pass-Zq81xv';
const SECRET_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLWJvZHk.c2lnbmF0dXJlLXBhcnQ';
const cacheText = (marker: string) => JSON.stringify({ AccessToken: { k: { secret: `${SECRET_TOKEN}-${marker}`, home_account_id: 'x' } } });

const lines: string[] = [];
const log = createLogger('debug', {}, (line) => lines.push(line));
const newKey = () => randomBytes(32).toString('base64');
const partition = (n: number) => userPartition(`0000000${n}-1111-2222-3333-444444444444`, 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');

const skip = skipWithout('redis-server');
let redis: RedisServer;
let raw: Redis;
let key: string;
let store: RedisTokenStore;

beforeAll(async () => {
  redis = await startRedisServer({ password: PASSWORD });
  raw = new Redis(redis.url, { lazyConnect: true });
  await raw.connect();
  key = newKey();
  store = new RedisTokenStore({ url: redis.url, encryptionKey: key, ttlSeconds: 3_600, log });
});

afterAll(async () => {
  await store?.close();
  raw?.disconnect();
  await redis?.cleanup();
});

function expectNoSecrets(err: unknown): void {
  const e = err as AppError;
  const text = `${e.message} ${e.nextStep ?? ''} ${JSON.stringify(e.details)}`;
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(key);
  expect(text).not.toContain(SECRET_TOKEN);
}

describe.skipIf(skip)('RedisTokenStore', () => {
  it('round-trips a partition and reads a missing one as empty', async () => {
    await store.set(partition(1), cacheText('one'));
    expect(await store.get(partition(1))).toBe(cacheText('one'));
    expect(await store.get(partition(2))).toBe('');
  });

  it('keeps only ciphertext in Redis, under m365-copilot-mcp:msal:<oid>.<tid>', async () => {
    await store.set(partition(3), cacheText('three'));
    const stored = await raw.getBuffer(`${REDIS_KEY_PREFIX}${partition(3)}`);
    expect(stored).not.toBeNull();
    const asText = stored!.toString('latin1');
    expect(asText).not.toContain('eyJ');
    expect(asText).not.toContain('secret');
    expect(asText).not.toContain('AccessToken');
    expect(stored!.subarray(0, 4).toString('ascii')).toBe('M3TC');
  });

  it('sets the TTL and renews it on every write', async () => {
    const name = `${REDIS_KEY_PREFIX}${partition(4)}`;
    await store.set(partition(4), cacheText('four'));
    const ttl = await raw.ttl(name);
    expect(ttl).toBeGreaterThan(3_590);
    expect(ttl).toBeLessThanOrEqual(3_600);
    await raw.expire(name, 10);
    await store.set(partition(4), cacheText('four-again'));
    expect(await raw.ttl(name)).toBeGreaterThan(3_590);
  });

  it('refuses an entry written with another key with a clear error, and leaves it untouched', async () => {
    await store.set(partition(5), cacheText('five'));
    const before = await raw.getBuffer(`${REDIS_KEY_PREFIX}${partition(5)}`);
    const other = new RedisTokenStore({ url: redis.url, encryptionKey: newKey(), log });
    try {
      const err = await other.get(partition(5)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('ConfigInvalid');
      expect((err as AppError).message).toMatch(/different key/);
      expect((err as AppError).nextStep).toMatch(/M365_COPILOT_MCP_REDIS_KEY/);
      expectNoSecrets(err);
      expect(await raw.getBuffer(`${REDIS_KEY_PREFIX}${partition(5)}`)).toEqual(before);
    } finally {
      await other.close();
    }
  });

  it('does not open a value copied under another user’s key (the key name is authenticated), and sets it aside', async () => {
    await store.set(partition(6), cacheText('six'));
    const victim = `${REDIS_KEY_PREFIX}${partition(7)}`;
    await raw.set(victim, (await raw.getBuffer(`${REDIS_KEY_PREFIX}${partition(6)}`))!);
    expect(await store.get(partition(7))).toBe('');
    expect(await raw.exists(victim)).toBe(0);
    expect((await raw.keys(`${victim}:corrupt-*`)).length).toBe(1);
    expect(lines.some((l) => l.includes('set aside'))).toBe(true);
  });

  it('reads a damaged value as empty instead of failing every call for that user', async () => {
    const name = `${REDIS_KEY_PREFIX}${partition(8)}`;
    await store.set(partition(8), cacheText('eight'));
    const box = (await raw.getBuffer(name))!;
    box[box.length - 1] = box[box.length - 1]! ^ 0xff;
    await raw.set(name, box);
    expect(await store.get(partition(8))).toBe('');
  });

  it('rejects a malformed encryption key without echoing it, and a partition that is not oid.tid', async () => {
    const bad = 'not-a-real-key-but-secret-looking';
    const err = (() => {
      try {
        new RedisTokenStore({ url: redis.url, encryptionKey: bad, log });
      } catch (e) {
        return e as AppError;
      }
      return undefined;
    })();
    expect(err?.code).toBe('ConfigInvalid');
    expect(`${err?.message} ${err?.nextStep}`).not.toContain(bad);
    expect(() => new RedisTokenStore({ url: redis.url, encryptionKey: randomBytes(16).toString('base64'), log })).toThrow(/32 bytes/);
    await expect(store.get('a:b*')).rejects.toThrow(/not a token cache partition/);
  });

  it('takes a partition lock that only its holder releases', async () => {
    const p = partition(9);
    const token = await store.tryLock(p, 5_000);
    expect(token).toBeTypeOf('string');
    expect(await store.tryLock(p, 5_000)).toBeUndefined();
    await store.unlock(p, 'someone-else');
    expect(await store.isLocked(p)).toBe(true);
    await store.unlock(p, token!);
    expect(await store.isLocked(p)).toBe(false);
  });

  it('answers ping with a round-trip time', async () => {
    expect(await store.ping()).toBeGreaterThanOrEqual(0);
  });

  it('fails fast with CacheUnavailable while Redis is down, then recovers by itself on the same store', async () => {
    await store.set(partition(10), cacheText('ten'));
    await redis.stop();
    try {
      for (const attempt of [() => store.get(partition(10)), () => store.set(partition(10), cacheText('x')), () => store.ping()]) {
        const started = Date.now();
        const err = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        // "Did not hang": bounded well under a request timeout, not a benchmark.
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('CacheUnavailable');
        expect((err as AppError).details['retryable']).toBe(true);
        expect((err as AppError).nextStep).toContain(`redis://127.0.0.1:${redis.port}`);
        expectNoSecrets(err);
      }
    } finally {
      await redis.start();
    }
    // Nothing persisted (--save ''), so the restarted server is empty; the store reconnects on its own.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await store.set(partition(10), cacheText('ten-again'));
        break;
      } catch (err) {
        if ((err as AppError).code !== 'CacheUnavailable' || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(await store.get(partition(10))).toBe(cacheText('ten-again'));
    expect(lines.some((l) => l.includes('reachable again'))).toBe(true);
    // Reconnect the raw client too, for any later test.
    if (raw.status !== 'ready') await new Promise((r) => raw.once('ready', r));
  });

  it('fails fast when Redis is not there at all at startup', async () => {
    const nowhere = new RedisTokenStore({ url: `redis://:${PASSWORD}@127.0.0.1:1`, encryptionKey: key, log });
    try {
      const started = Date.now();
      const err = await nowhere.get(partition(11)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((err as AppError).code).toBe('CacheUnavailable');
      expectNoSecrets(err);
    } finally {
      await nowhere.close();
    }
  });
});
