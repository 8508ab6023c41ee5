import { randomBytes } from 'node:crypto';
import type { ICacheClient, IPartitionManager } from '@azure/msal-node';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { RedisConnection, type RedisConnectionOptions } from './redisConnection.js';
import { KEY_BYTES, seal, unseal, UnsealError } from './sealedBox.js';

export const REDIS_KEY_PREFIX = 'm365-copilot-mcp:msal:';
const LOCK_PREFIX = 'm365-copilot-mcp:lock:';
const DEFAULT_TTL_SECONDS = 86_400;
/** oid.tid (MSAL's homeAccountId form): GUIDs in practice; anything that could alter a key name is refused. */
const PARTITION = /^[A-Za-z0-9_-]{1,128}\.[A-Za-z0-9_-]{1,128}$/;

// Deletes the lock only if it is still ours, so a lock that expired and was taken by another instance is not released.
const UNLOCK_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export interface RedisTokenStoreOptions extends RedisConnectionOptions {
  /** Base64 of 32 random bytes (`openssl rand -base64 32`); the same on every instance. */
  encryptionKey: string;
  /** Lifetime of a user's entry, renewed on every write (default 86,400 s). */
  ttlSeconds?: number;
}

/** The partition of one user: `${oid}.${tid}`, which is also MSAL's homeAccountId for that user. */
export function userPartition(oid: string, tid: string): string {
  return `${oid}.${tid}`;
}

export function isValidPartition(partition: string): boolean {
  return PARTITION.test(partition);
}

/**
 * MSAL's distributed cache client (`ICacheClient`) over Redis: one key per user partition
 * (`m365-copilot-mcp:msal:<oid>.<tid>`), its value MSAL's serialized cache sealed with AES-256-GCM.
 * The key name is authenticated with the ciphertext, so a value copied under another user's key
 * does not open. Reads and writes fail fast with CacheUnavailable while Redis is down; nothing is
 * ever written in place of data that could not be read.
 */
export class RedisTokenStore implements ICacheClient {
  private readonly connection: RedisConnection;
  private readonly key: Buffer;
  private readonly ttlSeconds: number;
  private readonly log: Logger;

  constructor(opts: RedisTokenStoreOptions) {
    this.key = decodeEncryptionKey(opts.encryptionKey);
    this.ttlSeconds = opts.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(this.ttlSeconds) || this.ttlSeconds < 1) {
      throw new AppError('ConfigInvalid', `the Redis token cache TTL must be a whole number of seconds ≥ 1 (got ${String(opts.ttlSeconds)})`, {
        nextStep: 'Set M365_COPILOT_MCP_REDIS_TTL to the number of seconds a user’s cached tokens may live (default 86400).',
      });
    }
    this.log = opts.log.child({ component: 'redis-token-cache' });
    this.connection = new RedisConnection(opts);
  }

  /** Where Redis is, without credentials (for /readyz and messages). */
  get target(): string {
    return this.connection.target;
  }

  /** MSAL's serialized cache of one partition, '' when there is none. */
  async get(partition: string): Promise<string> {
    const name = keyName(partition);
    const box = await this.connection.run('a read', (c) => c.getBuffer(name));
    if (!box) return '';
    try {
      return unseal(this.key, name, box).toString('utf8');
    } catch (err) {
      if (!(err instanceof UnsealError)) throw err;
      if (err.reason === 'wrong-key') throw this.wrongKey(err);
      // Damaged or forged: keep it aside for inspection (with its TTL) and read as empty, so the user is not stuck.
      const aside = `${name}:corrupt-${Date.now()}`;
      await this.connection.run('setting aside an unreadable entry', (c) => c.rename(name, aside)).catch(() => undefined);
      this.log.warn('an unreadable token cache entry in Redis was set aside; that user starts with an empty cache', { key: aside, problem: err.message });
      return '';
    }
  }

  /** Seals and writes one partition, renewing its TTL. Returns Redis's reply ("OK"), as ICacheClient asks. */
  async set(partition: string, value: string): Promise<string> {
    const name = keyName(partition);
    const box = seal(this.key, name, Buffer.from(value, 'utf8'));
    return this.connection.run('a write', (c) => c.set(name, box, 'EX', this.ttlSeconds));
  }

  async remove(partition: string): Promise<void> {
    const name = keyName(partition);
    await this.connection.run('a delete', (c) => c.del(name));
  }

  /**
   * The partition manager for one user's MSAL app: that app only ever holds this user's tokens, so
   * reads and writes always use its partition, whatever account MSAL names.
   */
  partitionManager(partition: string): IPartitionManager {
    keyName(partition);
    const log = this.log;
    return {
      getKey: async () => partition,
      extractKey: async (account) => {
        if (account.homeAccountId && account.homeAccountId !== partition) {
          log.warn('MSAL named an account that is not the partition owner; writing to the owner partition', { partition });
        }
        return partition;
      },
    };
  }

  /**
   * Takes the cross-instance lock of one partition for at most `ttlMs`; returns the token that
   * releases it, or undefined when another holder has it.
   */
  async tryLock(partition: string, ttlMs: number): Promise<string | undefined> {
    const name = lockName(partition);
    const token = randomBytes(12).toString('base64url');
    const reply = await this.connection.run('a lock', (c) => c.set(name, token, 'PX', ttlMs, 'NX'));
    return reply === 'OK' ? token : undefined;
  }

  async isLocked(partition: string): Promise<boolean> {
    const name = lockName(partition);
    return (await this.connection.run('a lock check', (c) => c.exists(name))) === 1;
  }

  async unlock(partition: string, token: string): Promise<void> {
    const name = lockName(partition);
    await this.connection.run('an unlock', (c) => c.eval(UNLOCK_SCRIPT, 1, name, token));
  }

  /** Its connection, for the other state instances share through the same Redis (the shared limits). */
  get redisConnection(): RedisConnection {
    return this.connection;
  }

  /** The connection is up (its last known state, no round trip): what /readyz reports as `redis`. */
  get ready(): boolean {
    return this.connection.ready;
  }

  /** Round trip in ms; rejects with CacheUnavailable (for doctor and tests). */
  ping(): Promise<number> {
    return this.connection.ping();
  }

  /** Quits the connection and stops reconnecting; later calls fail with CacheUnavailable. */
  close(): Promise<void> {
    return this.connection.close();
  }

  private wrongKey(cause: unknown): AppError {
    return new AppError('ConfigInvalid', `a token cache entry in Redis at ${this.target} was encrypted with a different key than this server's`, {
      cause,
      nextStep:
        `Give every server instance the same M365_COPILOT_MCP_REDIS_KEY. After changing the key on purpose, delete the old entries ` +
        `(redis-cli --scan --pattern '${REDIS_KEY_PREFIX}*' | xargs redis-cli del) or wait for their TTL to end.`,
    });
  }
}

function keyName(partition: string): string {
  if (!isValidPartition(partition)) throw new Error(`not a token cache partition (expected "<oid>.<tid>"): ${JSON.stringify(partition.slice(0, 80))}`);
  return `${REDIS_KEY_PREFIX}${partition}`;
}

function lockName(partition: string): string {
  keyName(partition);
  return `${LOCK_PREFIX}${partition}`;
}

function decodeEncryptionKey(encoded: string): Buffer {
  const trimmed = encoded.trim();
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
  if (!key || key.length !== KEY_BYTES) {
    // The value itself is never echoed: it is meant to be a secret.
    throw new AppError('ConfigInvalid', `the Redis token cache key must be ${KEY_BYTES} bytes encoded as base64 (got ${key ? `${key.length} bytes` : 'something that is not base64'})`, {
      nextStep: 'Set M365_COPILOT_MCP_REDIS_KEY to the output of `openssl rand -base64 32`, the same on every server instance.',
    });
  }
  return key;
}
