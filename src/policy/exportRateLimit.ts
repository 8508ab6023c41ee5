import { ROUTES } from '../graph/copilot/routes.js';
import { createTokenBucket, EXPORT_RATE } from '../graph/rateLimiter.js';
import type { RoutePolicy } from '../graph/routePolicies.js';

/**
 * The interaction export's route in the chain: every attempt (every page, user, tool call and retry)
 * waits for a permit of the one limiter this process keeps for the export app and tenant, so
 * concurrent exports share the tenant's 30 requests/s instead of each assuming it has all of it;
 * and a page whose body arrived broken is asked again (it is a read addressed by its URL).
 */
export function exportRoutePolicy(): RoutePolicy {
  const limiter = createTokenBucket(EXPORT_RATE);
  return {
    routes: [ROUTES.exportInteractions],
    attempt: async (ex, send) => {
      await limiter.acquire(ex.signal);
      return send(ex);
    },
    brokenBodyAttempts: 3,
  };
}
