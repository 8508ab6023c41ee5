import { ROUTES } from '../graph/copilot/routes.js';
import { createTokenBucket, EXPORT_RATE, type RateLimiter } from '../graph/rateLimiter.js';
import type { RoutePolicy } from '../graph/routePolicies.js';

/**
 * The interaction export's route in the chain: every attempt (every page, user, tool call and retry)
 * waits for a permit of the one limiter kept for the export app and tenant (this process's, or with
 * --redis one shared by every instance), so concurrent exports share the tenant's 30 requests/s
 * instead of each assuming it has all of it.
 * Callers take turns (fair queueing by caller): one user's long scan cannot make an admin's export
 * wait behind hundreds of its requests. A page whose body arrived broken is asked again.
 */
export function exportRateLimit(limiter: RateLimiter = createTokenBucket(EXPORT_RATE)): (caller: () => Promise<{ userId: string; tenantId: string } | undefined>) => RoutePolicy {
  return (caller) => ({
    routes: [ROUTES.exportInteractions],
    attempt: async (ex, send) => {
      const who = await caller().catch(() => undefined);
      await limiter.acquire(ex.signal, who ? `${who.tenantId}/${who.userId}`.toLowerCase() : '');
      return send(ex);
    },
    brokenBodyAttempts: 3,
  });
}
