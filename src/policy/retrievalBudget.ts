import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '../errors.js';

/** Graph's Retrieval limit is per user per hour; the emulator counts over a sliding hour, and so do we. */
export const RETRIEVAL_WINDOW_MS = 3_600_000;
/** When Graph answers 429 without Retry-After, stay away this long. */
const DEFAULT_THROTTLE_MS = 60_000;
/**
 * A Graph block this short is waited out rather than refused: the retry of the very call Graph
 * throttled, and the user's other calls in flight, would otherwise fail on our copy of Graph's
 * Retry-After although Graph asked for only a moment (the retry policy waits as long for the call itself).
 */
export const SHORT_BLOCK_WAIT_MS = 5_000;
/** Above this many tracked users, forget those with nothing counted in the window. */
const SWEEP_ABOVE_KEYS = 1_000;

export interface BudgetStatus {
  limit: number;
  remaining: number;
  /** When one more call frees up: the oldest counted call leaves the hour, or Graph's Retry-After ends. */
  resetsAt?: string;
}

/** Who is calling, as much as the budget needs (the tool context's caller). */
export interface BudgetCaller {
  userId: string;
  tenantId: string;
  upn?: string | undefined;
}

/** What became of one retrieval request: the HTTP status Graph answered with (undefined: no answer). */
export interface RetrievalCallOutcome {
  status: number | undefined;
  retryAfterSeconds?: number | undefined;
}

export interface RetrievalBudgetTicket {
  /** Counts what Graph counted, releases the rest of the reservation; the caller's budget afterwards. */
  settle(outcomes: RetrievalCallOutcome[]): Promise<BudgetStatus | undefined>;
}

/** What copilot_retrieve sees of the budget: where the caller stands (the Graph chain does the counting). */
export interface RetrievalBudget {
  status(caller: BudgetCaller): BudgetStatus | Promise<BudgetStatus>;
}

/** The counting side, used by the retrieval route's policy: this process's own count, or one shared through Redis. */
export interface RetrievalBudgetCounter extends RetrievalBudget {
  readonly limit: number;
  /** `signal` ends a wait through a short Graph block (SHORT_BLOCK_WAIT_MS) early. */
  begin(caller: () => Promise<BudgetCaller | undefined>, calls: number, signal?: AbortSignal): Promise<RetrievalBudgetTicket>;
}

/** Where one user stands, from the counts alone (the same rule whichever store holds them). */
export function budgetStatus(s: { limit: number; windowMs: number; count: number; oldest: number | undefined; blockedUntil: number; now: number }): BudgetStatus {
  const free = Math.max(0, s.limit - s.count);
  const oldestLeaves = s.oldest !== undefined ? s.oldest + s.windowMs : undefined;
  if (s.blockedUntil > s.now) {
    // Graph's word wins; if the hour is also full, the later of the two.
    const resetsAt = Math.max(s.blockedUntil, free === 0 && oldestLeaves !== undefined ? oldestLeaves : 0);
    return { limit: s.limit, remaining: 0, resetsAt: new Date(resetsAt).toISOString() };
  }
  return { limit: s.limit, remaining: free, ...(oldestLeaves !== undefined ? { resetsAt: new Date(oldestLeaves).toISOString() } : {}) };
}

/** How long a 429 keeps the user away: its Retry-After, else a minute. */
export function throttleMs(retryAfterSeconds: number | undefined): number {
  return retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : DEFAULT_THROTTLE_MS;
}

interface UserWindow {
  /** Times of counted calls, oldest first (reservations included). */
  calls: number[];
  /** Graph answered 429: nothing is sent before this time. */
  blockedUntil: number;
}

/**
 * Graph counts a request that it authorised and accepted for processing. The emulator, which follows
 * the contract, takes the budget after the token, scope and licence checks: 401 and 403 do not count,
 * nor does a 429 (it is the refusal), nor a 5xx outage; a 400 for a bad body does.
 */
export function countedByGraph(status: number | undefined): boolean {
  if (status === undefined || status === 0) return false;
  if (status === 401 || status === 403 || status === 429) return false;
  return status < 500;
}

/**
 * Per-process, per-user sliding-hour counter of Copilot Retrieval requests (one per source: a $batch
 * of N sources is N requests). Several HTTP instances each keep their own count, so together they may
 * let more through; Graph stays the authority and its 429 blocks the user here until its Retry-After.
 */
export class RetrievalBudgetTracker implements RetrievalBudgetCounter {
  private readonly users = new Map<string, UserWindow>();

  constructor(
    readonly limit: number,
    private readonly clock: () => number = Date.now,
    private readonly windowMs: number = RETRIEVAL_WINDOW_MS,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<unknown> = (ms, signal) => delay(ms, undefined, signal ? { signal } : {}),
  ) {}

  /**
   * Reserves `calls` requests for the caller, or throws BudgetExhausted without anything being sent.
   * A caller not known yet is counted when the ticket is settled.
   */
  async begin(caller: () => Promise<BudgetCaller | undefined>, calls: number, signal?: AbortSignal): Promise<RetrievalBudgetTicket> {
    const known = await caller();
    if (known) await this.waitOutShortBlock(known, signal);
    const reservedAt = known ? this.reserve(known, calls) : undefined;
    return {
      settle: async (outcomes) => {
        const who = known ?? (await caller().catch(() => undefined));
        if (!who) return undefined;
        const key = keyOf(who);
        const w = this.window(key);
        const now = this.clock();
        const counted = outcomes.filter((o) => countedByGraph(o.status)).length;
        if (reservedAt !== undefined) release(w.calls, reservedAt, Math.max(0, calls - counted));
        else for (let i = 0; i < counted; i++) w.calls.push(now);
        for (const o of outcomes) {
          if (o.status === 429) w.blockedUntil = Math.max(w.blockedUntil, now + throttleMs(o.retryAfterSeconds));
        }
        return this.statusOf(w, now);
      },
    };
  }

  /** Sleeps through Graph's block while it ends within SHORT_BLOCK_WAIT_MS of now (it may be extended meanwhile). */
  private async waitOutShortBlock(caller: BudgetCaller, signal: AbortSignal | undefined): Promise<void> {
    const giveUpAt = this.clock() + SHORT_BLOCK_WAIT_MS;
    for (;;) {
      const until = this.users.get(keyOf(caller))?.blockedUntil ?? 0;
      const now = this.clock();
      if (until <= now || until > giveUpAt) return;
      await this.sleep(until - now, signal);
    }
  }

  /** The caller's budget as it stands (for tests and the status tool). */
  status(caller: BudgetCaller): BudgetStatus {
    return this.statusOf(this.window(keyOf(caller)), this.clock());
  }

  private reserve(caller: BudgetCaller, calls: number): number {
    const now = this.clock();
    if (this.users.size > SWEEP_ABOVE_KEYS) this.sweep(now);
    const w = this.window(keyOf(caller));
    prune(w, now - this.windowMs);
    if (w.blockedUntil > now) throw throttledByGraph(caller, this.limit, w.blockedUntil, now);
    if (calls > this.limit) throw tooManySources(calls, this.limit, w.calls.length);
    const free = this.limit - w.calls.length;
    if (free < calls) {
      // The call can go once enough of the oldest counted calls have left the hour.
      const needed = calls - Math.max(0, free);
      const freesAt = (w.calls[Math.min(needed, w.calls.length) - 1] ?? now) + this.windowMs;
      throw exhausted(caller, this.limit, Math.max(0, free), calls, freesAt, now);
    }
    for (let i = 0; i < calls; i++) w.calls.push(now);
    return now;
  }

  private window(key: string): UserWindow {
    let w = this.users.get(key);
    if (!w) this.users.set(key, (w = { calls: [], blockedUntil: 0 }));
    return w;
  }

  private statusOf(w: UserWindow, now: number): BudgetStatus {
    prune(w, now - this.windowMs);
    return budgetStatus({ limit: this.limit, windowMs: this.windowMs, count: w.calls.length, oldest: w.calls[0], blockedUntil: w.blockedUntil, now });
  }

  private sweep(now: number): void {
    for (const [key, w] of this.users) {
      prune(w, now - this.windowMs);
      if (w.calls.length === 0 && w.blockedUntil <= now) this.users.delete(key);
    }
  }
}

export function keyOf(caller: BudgetCaller): string {
  return `${caller.tenantId.toLowerCase()}/${caller.userId.toLowerCase()}`;
}

function prune(w: UserWindow, since: number): void {
  let drop = 0;
  while (drop < w.calls.length && (w.calls[drop] as number) <= since) drop++;
  if (drop) w.calls.splice(0, drop);
}

/** Gives back `count` of the calls reserved at `at` (calls are in time order, so from the end of that run). */
function release(calls: number[], at: number, count: number): void {
  for (let i = calls.length - 1; i >= 0 && count > 0; i--) {
    if (calls[i] === at) {
      calls.splice(i, 1);
      count--;
    }
  }
}

function inWords(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}

function who(caller: BudgetCaller): string {
  return caller.upn ?? caller.userId;
}

export function tooManySources(calls: number, limit: number, counted: number): AppError {
  return new AppError('BudgetExhausted', `this search needs ${calls} Copilot Retrieval calls (one per source), more than the ${limit} per hour allowed. Nothing was sent to Graph.`, {
    nextStep: `Search at most ${limit} source(s) per call.`,
    details: { limit, remaining: Math.max(0, limit - counted) },
  });
}

export function exhausted(caller: BudgetCaller, limit: number, remaining: number, calls: number, freesAt: number, now: number): AppError {
  const at = new Date(freesAt).toISOString();
  const retryAfterSeconds = Math.max(1, Math.ceil((freesAt - now) / 1000));
  const message =
    remaining === 0
      ? `the Copilot Retrieval budget of ${limit} calls per hour for ${who(caller)} is used up; the next call frees up at ${at} (in ${inWords(freesAt - now)}). Nothing was sent to Graph.`
      : `this search needs ${calls} Copilot Retrieval calls (one per source) but only ${remaining} of the ${limit} per hour are left for ${who(caller)}; enough free up at ${at} (in ${inWords(freesAt - now)}). Nothing was sent to Graph.`;
  return new AppError('BudgetExhausted', message, {
    nextStep:
      remaining === 0
        ? `Answer from the results already retrieved, or call copilot_retrieve again after ${at}.`
        : `Search fewer sources (e.g. sources: ["sharePoint"]) now, or all of them after ${at}.`,
    details: { limit, remaining, resetsAt: at, retryAfterSeconds },
  });
}

export function throttledByGraph(caller: BudgetCaller, limit: number, until: number, now: number): AppError {
  const at = new Date(until).toISOString();
  return new AppError('BudgetExhausted', `Graph throttled Copilot Retrieval for ${who(caller)} (429) and asked to wait until ${at} (in ${inWords(until - now)}). Nothing was sent to Graph.`, {
    nextStep: `Answer from the results already retrieved, or call copilot_retrieve again after ${at}.`,
    details: { limit, remaining: 0, resetsAt: at, retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) },
  });
}
