import { cancelledError } from '../graph/retryPolicy.js';
import type { RateLimiter, TokenBucketOptions } from '../graph/rateLimiter.js';
import type { Logger } from '../log.js';
import { LUA_NOW_MS, SHARED_LIMITS_PREFIX, type SharedScripts } from './sharedScripts.js';

/**
 * A token bucket kept in Redis (KEYS[1]: a hash of tokens and the time they were counted; ARGV: rate
 * per second, burst). Takes a permit and answers 0, or answers the ms until one may be free (nothing
 * taken). One script, so instances never both take the last permit.
 */
const TAKE = `${LUA_NOW_MS}
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000); ts = now end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.max(1, math.ceil((1 - tokens) * 1000 / rate)) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', string.format('%d', ts))
redis.call('PEXPIRE', KEYS[1], 60000)
return wait`;

interface Waiter {
  key: string;
  signal: AbortSignal | undefined;
  grant(): void;
  fail(err: unknown): void;
}

export interface SharedRateLimiterOptions extends Pick<TokenBucketOptions, 'ratePerSecond' | 'burst'> {
  scripts: SharedScripts;
  /** The Redis key part naming what is limited, e.g. the export app and tenant. */
  name: string;
  /** This process's own bucket: used while Redis is unreachable (per-instance limits, never none). */
  fallback: RateLimiter;
  log: Logger;
}

/**
 * The rate limit of one app and tenant, shared by every instance (--redis): permits come from one
 * bucket in Redis, so three instances together get no more than one would. Callers of this process
 * take turns (one queue per caller key, served round robin), so one user's long export cannot make
 * another wait behind all of its requests; the head of the line asks Redis and, when told to wait,
 * waits that long. While Redis is unreachable permits come from this process's own bucket.
 */
export function createSharedRateLimiter(opts: SharedRateLimiterOptions): RateLimiter {
  const queues = new Map<string, Waiter[]>();
  let waiting = 0;
  let pumping = false;
  let reportedDown = false;
  const redisKey = `${SHARED_LIMITS_PREFIX}rate:${opts.name}`;

  const take = async (): Promise<number | 'down'> => {
    try {
      const wait = Number(await opts.scripts.run(TAKE, [redisKey], [opts.ratePerSecond, opts.burst]));
      if (!Number.isFinite(wait) || wait < 0) throw new Error(`unexpected reply from the shared rate limit script: ${String(wait)}`);
      if (reportedDown) opts.log.info('the shared rate limit (Redis) is reachable again', { redis: opts.scripts.target, limit: opts.name });
      reportedDown = false;
      return wait;
    } catch (err) {
      if (!reportedDown)
        opts.log.warn('the shared rate limit (Redis) is unreachable: this instance limits itself on its own until it returns', {
          redis: opts.scripts.target,
          limit: opts.name,
          error: err instanceof Error ? err.message : String(err),
        });
      reportedDown = true;
      return 'down';
    }
  };

  const remove = (w: Waiter) => {
    const queue = queues.get(w.key);
    const at = queue?.indexOf(w) ?? -1;
    if (!queue || at < 0) return false;
    queue.splice(at, 1);
    if (!queue.length) queues.delete(w.key);
    waiting--;
    return true;
  };
  /** The oldest waiter of the key whose turn it is (the first in the map); it keeps the turn until granted. */
  const head = (): Waiter | undefined => queues.values().next().value?.[0];
  /** A granted waiter leaves; its key goes to the back of the line, so other callers go first. */
  const granted = (w: Waiter) => {
    remove(w);
    const queue = queues.get(w.key);
    if (queue) {
      queues.delete(w.key);
      queues.set(w.key, queue);
    }
  };

  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      for (let w = head(); w; w = head()) {
        const wait = await take();
        if (!queues.get(w.key)?.includes(w)) continue; // cancelled while Redis answered
        if (wait === 0) {
          granted(w);
          w.grant();
        } else if (wait === 'down') {
          granted(w);
          await opts.fallback.acquire(w.signal, w.key).then(w.grant, w.fail);
        } else {
          // No permit yet (other instances took them): the same waiter asks again when one may be free.
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    } finally {
      pumping = false;
    }
  };

  return {
    get waiting() {
      return waiting;
    },
    /** Not available on a shared bucket without a round trip: answers "try later" so callers use acquire(). */
    tryAcquire: () => 1,
    acquire(signal, key = '') {
      if (signal?.aborted) return Promise.reject(cancelledError('waiting for a Graph request permit', signal));
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          if (remove(waiter)) reject(cancelledError('waiting for a Graph request permit', signal));
        };
        const waiter: Waiter = {
          key,
          signal,
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          fail: (err) => {
            signal?.removeEventListener('abort', onAbort);
            reject(err);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const queue = queues.get(key);
        if (queue) queue.push(waiter);
        else queues.set(key, [waiter]);
        waiting++;
        void pump();
      });
    },
  };
}
