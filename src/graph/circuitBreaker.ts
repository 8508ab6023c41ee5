import { AppError } from '../errors.js';
import { GraphError } from './errors.js';
import type { Exchange, Send } from './transport.js';

export interface CircuitBreakerOptions {
  /** Which calls share a fate, e.g. one Graph API; defaults to `routeKey` (host and route template). */
  key?: (exchange: Exchange) => string;
  /** Consecutive failures (after retries) that open the circuit. */
  failureThreshold?: number;
  openMs?: number;
  clock?: () => number;
  /** Told the state after every call that went through (and when a probe starts): for the circuit-state metric. */
  onState?: (ex: Exchange, state: CircuitState) => void;
}

export type CircuitState = 'closed' | 'half-open' | 'open';

interface Circuit {
  failures: number;
  /** Set while open; after `openMs` the next call is let through as the probe. */
  openedAt: number | undefined;
  probing: boolean;
}

/**
 * "graph.microsoft.com GET /copilot/users/{id}/…": the host and the route template, never the path,
 * so a caller cannot grow the breaker's state by asking for many distinct ids (one entry per path
 * was one per UPN, forever).
 */
export function routeKey(ex: Exchange): string {
  return `${ex.url.host} ${ex.route}`;
}

/** A defensive bound on top: keys come from a fixed set of routes, but a custom key function might not. */
const MAX_CIRCUITS = 256;

type Outcome = 'success' | 'failure' | 'neutral';

/**
 * A 404 or 403 is the service answering; only outages and dead connections count against it. A 429
 * is neither: Graph is up and says when to come back (the retry policy waits for it), and opening the
 * circuit on throttling paused whole APIs for 30 s when Graph asked for 1 s (found by the fault soak).
 */
function outcome(err: unknown): Outcome {
  if (err instanceof GraphError) return err.status === 429 ? 'neutral' : err.status >= 500 ? 'failure' : 'success';
  if (err instanceof AppError && (err.code === 'NetworkError' || err.code === 'ServiceUnavailable')) return 'failure';
  // Cancellation and token trouble say nothing about the service.
  return 'neutral';
}

/**
 * Stops sending to a Graph API that keeps failing, so a tool gets a fast, honest answer instead of
 * a minute of retries, and the service gets room to recover. Sits outside the retry policy.
 */
export function circuitBreaker(opts: CircuitBreakerOptions = {}): (send: Send) => Send {
  const keyOf = opts.key ?? routeKey;
  const threshold = Math.max(1, opts.failureThreshold ?? 5);
  const openMs = opts.openMs ?? 30_000;
  const clock = opts.clock ?? Date.now;
  const circuits = new Map<string, Circuit>();

  const paused = (key: string, waitMs: number) => {
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    return new AppError('ServiceUnavailable', `Graph ${key} is failing; requests are paused for ${retryAfterSeconds} s`, {
      nextStep: `retry after ${retryAfterSeconds} s`,
      details: { circuit: 'open', retryAfterSeconds },
    });
  };

  return (send) => async (ex) => {
    const key = keyOf(ex);
    let c = circuits.get(key);
    if (!c) {
      if (circuits.size >= MAX_CIRCUITS) for (const [k, old] of circuits) if (old.openedAt === undefined) circuits.delete(k);
      circuits.set(key, (c = { failures: 0, openedAt: undefined, probing: false }));
    }
    const circuit = c;

    let probe = false;
    if (circuit.openedAt !== undefined) {
      const waitMs = circuit.openedAt + openMs - clock();
      // While the one probe is out, everyone else keeps getting the fast answer.
      if (waitMs > 0 || circuit.probing) throw paused(key, waitMs);
      circuit.probing = probe = true;
      opts.onState?.(ex, 'half-open');
    }

    let result: Outcome = 'neutral';
    try {
      const answer = await send(ex);
      result = 'success';
      return answer;
    } catch (err) {
      result = outcome(err);
      throw err;
    } finally {
      if (probe) circuit.probing = false;
      if (result === 'success') {
        circuit.failures = 0;
        circuit.openedAt = undefined;
      } else if (result === 'failure') {
        circuit.failures++;
        if (probe || circuit.failures >= threshold) circuit.openedAt = clock();
      }
      opts.onState?.(ex, circuit.openedAt !== undefined ? 'open' : 'closed');
    }
  };
}
