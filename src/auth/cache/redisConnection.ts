import { Redis } from 'ioredis';
import { AppError } from '../../errors.js';
import { redactText, type Logger } from '../../log.js';

export interface RedisConnectionOptions {
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  url: string;
  /** Bound on establishing a connection (default 1,000 ms). */
  connectTimeoutMs?: number;
  /** Bound on one command once connected, so a hung server fails calls too (default 1,000 ms). */
  commandTimeoutMs?: number;
  /** Longest pause between background reconnect attempts (default 1,000 ms). */
  reconnectMaxDelayMs?: number;
  log: Logger;
}

/** The URL with user and password removed: safe for messages, logs and /readyz. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'the configured Redis URL (unparsable)';
  }
}

/**
 * One ioredis client configured to fail fast: no offline queue and no per-command retries, so a
 * command issued while Redis is down rejects at once instead of waiting for a reconnect that may
 * never come; the client keeps reconnecting in the background and the next command after Redis
 * returns simply works. Every failure becomes AppError 'CacheUnavailable' (retryable).
 */
export class RedisConnection {
  /** Where Redis is, without credentials. */
  readonly target: string;
  private readonly client: Redis;
  private readonly log: Logger;
  private readonly connectTimeoutMs: number;
  /** Settles when the first connection attempt ends either way; commands before it wait for it. */
  private readonly firstAttempt: Promise<void>;
  private lastError: string | undefined;
  private reportedDown = false;
  private closed = false;

  constructor(opts: RedisConnectionOptions) {
    this.target = redactRedisUrl(opts.url);
    this.log = opts.log.child({ component: 'redis-token-cache' });
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 1_000;
    const reconnectMaxDelayMs = opts.reconnectMaxDelayMs ?? 1_000;
    this.client = new Redis(opts.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: opts.commandTimeoutMs ?? 1_000,
      // Never give up: a Redis outage must end by itself when Redis comes back.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), reconnectMaxDelayMs),
      connectionName: 'm365-copilot-mcp',
    });
    let settleFirst!: () => void;
    this.firstAttempt = new Promise<void>((resolve) => (settleFirst = resolve));
    this.client.on('ready', () => {
      settleFirst();
      this.lastError = undefined;
      if (this.reportedDown) this.log.info('the Redis token cache is reachable again', { redis: this.target });
      this.reportedDown = false;
    });
    // Without a listener ioredis prints every reconnect failure; one warning per outage is enough.
    this.client.on('error', (err: Error) => {
      settleFirst();
      this.lastError = redactText(err.message);
      this.reportDown();
    });
    this.client.on('close', () => {
      settleFirst();
      this.reportDown();
    });
  }

  private reportDown(): void {
    if (this.reportedDown || this.closed) return;
    this.reportedDown = true;
    this.log.warn('the Redis token cache is unreachable; token calls that need it fail until it returns', {
      redis: this.target,
      error: this.lastError ?? 'connection closed',
    });
  }

  /** True while commands can be sent. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Runs one command; any failure (down, timeout, server error) becomes CacheUnavailable. */
  async run<T>(what: string, command: (client: Redis) => Promise<T>): Promise<T> {
    if (this.closed) throw this.unavailable(what, 'the connection was closed');
    if (!this.ready) {
      // Only the very first connection is waited for (bounded); later outages fail at once.
      await Promise.race([this.firstAttempt, new Promise((r) => setTimeout(r, this.connectTimeoutMs).unref())]);
      if (!this.ready) throw this.unavailable(what, this.lastError ?? `not connected (${this.client.status})`);
    }
    try {
      return await command(this.client);
    } catch (err) {
      throw this.unavailable(what, redactText(err instanceof Error ? err.message : String(err)), err);
    }
  }

  /** Round trip time of a PING in ms; rejects with CacheUnavailable. */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.run('ping', (c) => c.ping());
    return Math.round(performance.now() - started);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.ready) await this.client.quit();
    } catch {
      // A quit that fails means the connection is already gone; disconnect below stops reconnecting.
    }
    this.client.disconnect(false);
  }

  private unavailable(what: string, reason: string, cause?: unknown): AppError {
    return new AppError('CacheUnavailable', `the shared token cache (Redis at ${this.target}) is unavailable for ${what}: ${reason}`, {
      ...(cause === undefined ? {} : { cause }),
      details: { retryable: true, redis: this.target },
      nextStep: `Retry in a few seconds. If it persists, check that Redis at ${this.target} (M365_COPILOT_MCP_REDIS_URL) is running and reachable from this server.`,
    });
  }
}
