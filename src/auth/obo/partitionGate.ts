import type { Logger } from '../../log.js';
import type { RedisTokenStore } from '../cache/redisTokenStore.js';

/**
 * One token-cache operation at a time per user partition: in this process by chaining, and across
 * server instances by a short Redis lock. That makes "read partition → exchange → write partition"
 * atomic per user, so two instances never both exchange the same user's token at once, and a
 * write never drops tokens another instance added in between. Different users never wait for each
 * other.
 */
export class PartitionGate {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly opts: {
      redis?: RedisTokenStore;
      /** Lock lifetime; also how long a waiter waits before going ahead without it. */
      lockTtlMs: number;
      log: Logger;
      onLockWait?: () => void;
    },
  ) {}

  run<T>(partition: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(partition) ?? Promise.resolve();
    const current = previous.then(() => this.locked(partition, work));
    const tail = current.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(partition, tail);
    void tail.then(() => {
      if (this.tails.get(partition) === tail) this.tails.delete(partition);
    });
    return current;
  }

  private async locked<T>(partition: string, work: () => Promise<T>): Promise<T> {
    const redis = this.opts.redis;
    if (!redis) return work();
    const token = await this.lock(redis, partition);
    try {
      return await work();
    } finally {
      // An unlock that fails leaves the lock to expire by itself; the work's outcome stands.
      if (token) await redis.unlock(partition, token).catch((err: unknown) => this.opts.log.debug('could not release a partition lock', { error: (err as Error).message }));
    }
  }

  /** Polls until the lock is ours; a holder that died releases it by expiry, and we stop waiting then. */
  private async lock(redis: RedisTokenStore, partition: string): Promise<string | undefined> {
    const deadline = Date.now() + this.opts.lockTtlMs;
    let pauseMs = 10;
    let counted = false;
    for (;;) {
      const token = await redis.tryLock(partition, this.opts.lockTtlMs);
      if (token) return token;
      if (!counted) {
        counted = true;
        this.opts.onLockWait?.();
      }
      if (Date.now() >= deadline) {
        this.opts.log.warn('another server instance held a user’s token cache lock for too long; going ahead without it', { lockTtlMs: this.opts.lockTtlMs });
        return undefined;
      }
      await new Promise((r) => setTimeout(r, pauseMs));
      pauseMs = Math.min(pauseMs * 2, 100);
    }
  }
}
