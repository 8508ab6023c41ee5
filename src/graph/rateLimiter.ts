import { cancelledError } from './retryPolicy.js';

/** setTimeout/clearTimeout, injectable so a test can drive time without sleeping. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface TokenBucketOptions {
  /** Permits added per second, continuously. */
  ratePerSecond: number;
  /** Most permits that pile up while idle, i.e. the largest burst. Any window of T seconds grants at most burst + rate·T. */
  burst: number;
  clock?: () => number;
  timers?: Timers;
}

export interface RateLimiter {
  /**
   * Resolves once a permit is taken. Waiters with the same key are served first come, first served;
   * different keys take turns (round robin), so one caller's hundreds of requests cannot make
   * another wait behind all of them. Rejects with Cancelled when the signal fires first.
   */
  acquire(signal?: AbortSignal, key?: string): Promise<void>;
  /** Takes a permit now and answers 0, or answers how many ms until one may be free (nothing taken). */
  tryAcquire(): number;
  /** Callers waiting for a permit. */
  readonly waiting: number;
}

interface Waiter {
  grant(): void;
}

/**
 * A token bucket with fair queueing. Waiters queue, so a caller that arrives while others wait
 * never jumps ahead of them (a steady stream of tryAcquire calls cannot starve a waiting acquire),
 * and each key has its own queue, served in turn.
 */
export function createTokenBucket(opts: TokenBucketOptions): RateLimiter {
  if (!(opts.ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be positive, got ${opts.ratePerSecond}`);
  if (!(opts.burst >= 1)) throw new RangeError(`burst must be at least 1, got ${opts.burst}`);
  const { ratePerSecond: rate, burst } = opts;
  const clock = opts.clock ?? Date.now;
  const timers = opts.timers ?? realTimers;
  let tokens = burst;
  let last = clock();
  /** Per key, in arrival order; a Map keeps the keys in the order they take their turns. */
  const queues = new Map<string, Waiter[]>();
  let waiting = 0;
  let timer: unknown;

  const refill = () => {
    const now = clock();
    if (now > last) tokens = Math.min(burst, tokens + ((now - last) * rate) / 1000);
    last = now;
  };
  // Rounded up (and at least 1 ms) so the timer never fires a hair before the token exists.
  const msUntilToken = () => Math.max(1, Math.ceil(((1 - tokens) * 1000) / rate));

  const schedule = () => {
    if (timer === undefined && waiting > 0) timer = timers.set(pump, msUntilToken());
  };
  /** The next key in turn gives up its oldest waiter, then goes to the back of the line. */
  const next = (): Waiter | undefined => {
    for (const [key, queue] of queues) {
      queues.delete(key);
      const waiter = queue.shift();
      if (queue.length) queues.set(key, queue);
      if (waiter) return waiter;
    }
    return undefined;
  };
  function pump(): void {
    timer = undefined;
    refill();
    while (waiting > 0 && tokens >= 1) {
      const waiter = next();
      if (!waiter) break;
      tokens -= 1;
      waiting--;
      waiter.grant();
    }
    schedule();
  }

  const tryAcquire = (): number => {
    refill();
    if (waiting === 0 && tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    return msUntilToken();
  };

  return {
    tryAcquire,
    get waiting() {
      return waiting;
    },
    acquire(signal, key = '') {
      if (signal?.aborted) return Promise.reject(cancelledError('waiting for a Graph request permit', signal));
      if (tryAcquire() === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const queue = queues.get(key);
          const at = queue?.indexOf(waiter) ?? -1;
          if (queue && at >= 0) {
            queue.splice(at, 1);
            waiting--;
            if (!queue.length) queues.delete(key);
          }
          if (waiting === 0 && timer !== undefined) {
            timers.clear(timer);
            timer = undefined;
          }
          reject(cancelledError('waiting for a Graph request permit', signal));
        };
        const waiter: Waiter = {
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const queue = queues.get(key);
        if (queue) queue.push(waiter);
        else queues.set(key, [waiter]);
        waiting++;
        schedule();
      });
    },
  };
}

/**
 * getAllEnterpriseInteractions allows 30 requests/s per app per tenant, measured over a short window,
 * and about 83 % of that (≈ 24.9/s) over a longer one (contract §2.6). A bucket of 6 refilled at
 * 24/s grants at most 6 + 24 = 30 in any one second and 24/s sustained, so neither limit is reached
 * by this process alone.
 */
export const EXPORT_RATE: Readonly<Pick<TokenBucketOptions, 'ratePerSecond' | 'burst'>> = { ratePerSecond: 24, burst: 6 };
