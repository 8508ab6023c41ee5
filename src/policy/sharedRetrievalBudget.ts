import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../log.js';
import {
  budgetStatus,
  countedByGraph,
  exhausted,
  keyOf,
  RETRIEVAL_WINDOW_MS,
  SHORT_BLOCK_WAIT_MS,
  throttledByGraph,
  throttleMs,
  tooManySources,
  type BudgetCaller,
  type BudgetStatus,
  type RetrievalBudgetCounter,
  type RetrievalBudgetTicket,
  type RetrievalBudgetTracker,
} from './retrievalBudget.js';
import { LUA_NOW_MS, SHARED_LIMITS_PREFIX, type SharedScripts } from './sharedScripts.js';

/*
 * One user's budget in Redis: a sorted set of counted calls (score: when, member: a unique id per
 * reserved call) and a key holding the end of Graph's 429 block. Each script reads and writes both
 * atomically, so instances racing for the last calls of a user's hour cannot both get them.
 */

/** KEYS: calls, blocked. ARGV: limit, windowMs, calls, reservation id. → {verdict, count, freesAt|blockedUntil, now}; verdict 1 reserved, 0 exhausted, -1 blocked. */
const RESERVE = `${LUA_NOW_MS}
local limit, window, calls = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return {-1, count, blocked, now} end
if count + calls > limit then
  local entry = redis.call('ZRANGE', KEYS[1], count + calls - limit - 1, count + calls - limit - 1, 'WITHSCORES')
  return {0, count, (tonumber(entry[2]) or now) + window, now}
end
for i = 1, calls do redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. i) end
redis.call('PEXPIRE', KEYS[1], window)
return {1, count + calls, 0, now}`;

/**
 * KEYS: calls, blocked. ARGV: windowMs, reservation id, reserved, to release, to add (a caller known
 * only afterwards), block ms (0: none). → {count, oldest (-1: none), blockedUntil, now}.
 */
const SETTLE = `${LUA_NOW_MS}
local window, id, reserved, release, add, block = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
for i = reserved - release + 1, reserved do redis.call('ZREM', KEYS[1], id .. ':' .. i) end
for i = 1, add do redis.call('ZADD', KEYS[1], now, id .. ':late:' .. i) end
if add > 0 then redis.call('PEXPIRE', KEYS[1], window) end
if block > 0 then
  local untilMs = now + block
  if untilMs > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], untilMs, 'PX', block) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {redis.call('ZCARD', KEYS[1]), tonumber(first[2]) or -1, tonumber(redis.call('GET', KEYS[2]) or '0'), now}`;

const STATUS = `${LUA_NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {redis.call('ZCARD', KEYS[1]), tonumber(first[2]) or -1, tonumber(redis.call('GET', KEYS[2]) or '0'), now}`;

function keysOf(caller: BudgetCaller): string[] {
  const base = `${SHARED_LIMITS_PREFIX}retrieval:${keyOf(caller)}`;
  return [`${base}:calls`, `${base}:blocked`];
}

function numbers(reply: unknown): number[] {
  if (!Array.isArray(reply)) throw new Error('unexpected reply from the shared retrieval budget script');
  return reply.map(Number);
}

/**
 * The per-user Copilot Retrieval budget shared by every instance through Redis (--redis): the same
 * sliding hour, the same rules (what Graph counted, Graph's 429 blocks) as the per-process tracker,
 * so several instances together let through no more than one would. While Redis is unreachable
 * each instance falls back to its own count (`local`): limits stay enforced per instance, calls do
 * not fail for it, and Graph's own 429 remains the authority; the shared count resumes when Redis returns.
 */
export class SharedRetrievalBudget implements RetrievalBudgetCounter {
  private reportedDown = false;

  constructor(
    private readonly scripts: SharedScripts,
    private readonly local: RetrievalBudgetTracker,
    private readonly log: Logger,
    private readonly windowMs: number = RETRIEVAL_WINDOW_MS,
  ) {}

  get limit(): number {
    return this.local.limit;
  }

  async begin(caller: () => Promise<BudgetCaller | undefined>, calls: number, signal?: AbortSignal): Promise<RetrievalBudgetTicket> {
    const known = await caller();
    const id = randomUUID();
    if (known) {
      if (calls > this.limit) throw tooManySources(calls, this.limit, 0);
      // As the per-instance tracker: a Graph block ending within SHORT_BLOCK_WAIT_MS is waited out.
      const giveUpAt = Date.now() + SHORT_BLOCK_WAIT_MS;
      for (;;) {
        let reply: number[];
        try {
          reply = numbers(await this.scripts.run(RESERVE, keysOf(known), [this.limit, this.windowMs, calls, id]));
        } catch (err) {
          this.down(err);
          return this.local.begin(async () => known, calls, signal);
        }
        this.up();
        const [verdict, count, at, now] = reply as [number, number, number, number];
        if (verdict === -1 && Date.now() + (at - now) <= giveUpAt) {
          await delay(at - now, undefined, signal ? { signal } : {});
          continue;
        }
        if (verdict === -1) throw throttledByGraph(known, this.limit, at, now);
        if (verdict === 0) throw exhausted(known, this.limit, Math.max(0, this.limit - count), calls, at, now);
        break;
      }
    }
    return {
      settle: async (outcomes) => {
        const who = known ?? (await caller().catch(() => undefined));
        if (!who) return undefined;
        const counted = outcomes.filter((o) => countedByGraph(o.status)).length;
        const throttled = outcomes.filter((o) => o.status === 429).map((o) => throttleMs(o.retryAfterSeconds));
        const args = [this.windowMs, id, known ? calls : 0, known ? Math.max(0, calls - counted) : 0, known ? 0 : counted, throttled.length ? Math.max(...throttled) : 0];
        try {
          const status = this.statusFrom(numbers(await this.scripts.run(SETTLE, keysOf(who), args)));
          this.up();
          return status;
        } catch (err) {
          // The reservation stays counted until it leaves the hour: over-counting is the safe side.
          this.down(err);
          return this.local.status(who);
        }
      },
    };
  }

  async status(caller: BudgetCaller): Promise<BudgetStatus> {
    try {
      const status = this.statusFrom(numbers(await this.scripts.run(STATUS, keysOf(caller), [this.windowMs])));
      this.up();
      return status;
    } catch (err) {
      this.down(err);
      return this.local.status(caller);
    }
  }

  private statusFrom([count, oldest, blockedUntil, now]: number[]): BudgetStatus {
    return budgetStatus({ limit: this.limit, windowMs: this.windowMs, count: count!, oldest: oldest! >= 0 ? oldest : undefined, blockedUntil: blockedUntil!, now: now! });
  }

  private down(err: unknown): void {
    if (this.reportedDown) return;
    this.reportedDown = true;
    this.log.warn('the shared retrieval budget (Redis) is unreachable: each instance counts on its own until it returns', {
      redis: this.scripts.target,
      error: err instanceof Error ? err.message : String(err),
    });
  }

  private up(): void {
    if (!this.reportedDown) return;
    this.reportedDown = false;
    this.log.info('the shared retrieval budget (Redis) is reachable again', { redis: this.scripts.target });
  }
}
