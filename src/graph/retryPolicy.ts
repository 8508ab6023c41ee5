import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '../errors.js';
import { GraphError } from './errors.js';
import type { Exchange, Send } from './transport.js';

/** Statuses Graph uses for "try again later"; every call we make is a read, so a repeat is harmless. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryInfo {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  delayMs: number;
  status?: number;
  code: string;
}

export interface RetryOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A longer Retry-After is not waited for: the caller gets the Throttled error and its advice. */
  maxRetryAfterMs?: number;
  /** Per call, from its first attempt: no backoff sleep may end past it. */
  deadlineMs?: number;
  budget?: RetryBudget;
  random?: () => number;
  sleep?: Sleep;
  clock?: () => number;
  onRetry?: (info: RetryInfo) => void;
}

/**
 * A token bucket shared by all calls: each retry spends one token, each success earns a fraction back.
 * During an outage the bucket drains and calls fail on their first error instead of multiplying load.
 */
export interface RetryBudget {
  tryTake(): boolean;
  refund(): void;
  readonly tokens: number;
}

export function createRetryBudget(opts: { capacity?: number; refillPerSuccess?: number; refillPerSecond?: number; clock?: () => number } = {}): RetryBudget {
  const capacity = opts.capacity ?? 10;
  const refill = opts.refillPerSuccess ?? 0.1;
  // A floor of retries per second (0: none), so a burst of throttling on a busy server does not
  // leave every later call without a single retry while Graph itself is still answering most requests.
  const perSecond = opts.refillPerSecond ?? 0;
  const clock = opts.clock ?? Date.now;
  let tokens = capacity;
  let refilledAt = clock();
  const topUp = () => {
    if (perSecond <= 0) return;
    const now = clock();
    tokens = Math.min(capacity, tokens + ((now - refilledAt) / 1000) * perSecond);
    refilledAt = now;
  };
  return {
    tryTake() {
      topUp();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    refund() {
      tokens = Math.min(capacity, tokens + refill);
    },
    get tokens() {
      topUp();
      return tokens;
    },
  };
}

/** Rejects as soon as the signal fires, so a cancelled call never sits out a backoff. */
export const defaultSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal ? { signal } : {});
};

/** Capped exponential backoff with full jitter; `retry` is 0 for the first retry. */
export function backoffMs(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retry));
}

export function cancelledError(what: string, signal: AbortSignal | undefined): AppError {
  return new AppError('Cancelled', `${what} was cancelled`, { cause: signal?.reason, nextStep: 'Nothing to do: the caller cancelled the request.' });
}

/** Sleeps, turning an abort (during or right after the sleep) into the Cancelled error the transport uses. */
export async function backoffSleep(sleep: Sleep, ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  if (signal?.aborted) throw cancelledError(what, signal);
  try {
    await sleep(ms, signal);
  } catch (err) {
    if (signal?.aborted) throw cancelledError(what, signal);
    throw err;
  }
  if (signal?.aborted) throw cancelledError(what, signal);
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'UND_ERR_SOCKET']);
const RESET_MESSAGES = /other side closed|socket hang up/i;

/** undici nests the socket error in `cause` (and in `errors` for a refused dual-stack connect). */
function isConnectionReset(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && RESET_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && RESET_MESSAGES.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isConnectionReset(x, depth + 1))) return true;
  return isConnectionReset(e.cause, depth + 1);
}

/** Only transient answers are retried; DNS and TLS failures will not fix themselves in a second. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof GraphError) return RETRYABLE_STATUSES.has(err.status);
  return err instanceof AppError && err.code === 'NetworkError' && isConnectionReset(err.cause);
}

type StopReason = 'attempts' | 'deadline' | 'budget' | 'retryAfter';

function giveUp(err: unknown, attempts: number, reason?: StopReason): unknown {
  if (err instanceof AppError) {
    err.details['attempts'] = attempts;
    if (reason) err.details['retryStoppedBy'] = reason;
  }
  return err;
}

export function retrying(opts: RetryOptions = {}): (send: Send) => Send {
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 4);
  const baseDelayMs = opts.baseDelayMs ?? 250;
  const maxDelayMs = opts.maxDelayMs ?? 8000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
  const deadlineMs = opts.deadlineMs ?? 60_000;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? defaultSleep;
  const clock = opts.clock ?? Date.now;

  return (send) => async (ex: Exchange) => {
    const what = `${ex.method} ${ex.url.pathname}`;
    const deadline = clock() + deadlineMs;
    for (let attempt = 1; ; attempt++) {
      let err: unknown;
      try {
        const answer = await send(ex);
        opts.budget?.refund();
        return answer;
      } catch (e) {
        err = e;
      }
      // Once a stream delivered events to the caller it cannot be replayed without repeating them.
      if (!isRetryable(err) || ex.signal?.aborted || ex.delivery?.started) throw attempt > 1 ? giveUp(err, attempt) : err;
      if (attempt >= maxAttempts) throw giveUp(err, attempt, 'attempts');

      const retryAfter = err instanceof GraphError ? err.retryAfterSeconds : undefined;
      let delayMs: number;
      if (retryAfter !== undefined) {
        delayMs = retryAfter * 1000;
        if (delayMs > maxRetryAfterMs) throw giveUp(err, attempt, 'retryAfter');
      } else {
        delayMs = backoffMs(attempt - 1, baseDelayMs, maxDelayMs, random);
      }
      if (clock() + delayMs > deadline) throw giveUp(err, attempt, 'deadline');
      // Checked last so a retry that would not happen anyway does not spend a token.
      if (opts.budget && !opts.budget.tryTake()) throw giveUp(err, attempt, 'budget');

      opts.onRetry?.({ attempt, delayMs, code: (err as AppError).code, ...(err instanceof GraphError ? { status: err.status } : {}) });
      await backoffSleep(sleep, delayMs, ex.signal, what);
    }
  };
}
