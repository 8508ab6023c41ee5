import type { Exchange, RawAnswer, Send } from './transport.js';

/**
 * What a route adds to the one chain every Graph request goes through (timeout, token, retries,
 * 401 re-auth, circuit breaker): a limit, an admission gate, a count. Composed where the server is
 * assembled, so this layer knows routes, not the policies behind them.
 */
export interface RoutePolicy {
  /** Route templates it applies to, e.g. `POST /copilot/retrieval`; a $batch applies when one of its items does. */
  routes: readonly string[];
  /**
   * One attempt (retries included) with its token in hand: may refuse before anything is sent,
   * wait (admission), and sees the answer or the failure.
   */
  attempt?(ex: Exchange, send: Send): Promise<RawAnswer>;
  /**
   * Attempts in all when the answer's body is cut short or of the wrong shape (a read addressed by
   * its URL can simply be asked again); 1 when absent.
   */
  brokenBodyAttempts?: number;
}

export function appliesTo(policy: RoutePolicy, ex: Pick<Exchange, 'route' | 'units'>): boolean {
  return policy.routes.includes(ex.route) || (ex.units?.some((u) => policy.routes.includes(u.route)) ?? false);
}

/** Runs every matching policy's attempt hook around the send, in the order given (the first outermost). */
export function applyRoutePolicies(send: Send, policies: readonly RoutePolicy[]): Send {
  const hooks = policies.filter((p) => p.attempt);
  if (!hooks.length) return send;
  return (ex) => {
    const run = hooks.reduceRight<Send>((next, policy) => (e) => (appliesTo(policy, e) ? policy.attempt!(e, next) : next(e)), send);
    return run(ex);
  };
}

/** The most attempts any matching policy allows for a broken body. */
export function brokenBodyAttempts(policies: readonly RoutePolicy[], route: string): number {
  return Math.max(1, ...policies.filter((p) => p.routes.includes(route)).map((p) => p.brokenBodyAttempts ?? 1));
}
