import type { TokenBroker, TokenFlow } from '../auth/broker.js';
import type { Endpoints } from '../config/endpoints.js';
import type { Config } from '../config/schema.js';
import { circuitBreaker } from '../graph/circuitBreaker.js';
import { createGraphClient, type GraphClient } from '../graph/client.js';
import { reauthOnce } from '../graph/reauthPolicy.js';
import { createRetryBudget, retrying } from '../graph/retryPolicy.js';
import type { Logger } from '../log.js';
import { recordGraphCall } from '../policy/graphCalls.js';
import { packageVersion } from '../version.js';

/**
 * Graph clients for any token broker, sharing what must be shared across users and requests: the
 * retry budget (a throttling storm cannot multiply our load) and one circuit breaker per flow and
 * API. HTTP mode calls it once per request with that caller's broker; stdio once per flow.
 */
export type GraphClientFor = (flow: TokenFlow, tokens: Pick<TokenBroker, 'getToken'>) => GraphClient;

export function createGraphClientFactory(config: Config, endpoints: Endpoints, log: Logger): GraphClientFor {
  const graphLog = log.child({ component: 'graph' });
  // onExchange: every request-id lands in the audit record of the tool call that caused it.
  const common = { baseUrl: endpoints.graphBaseUrl, log: graphLog, userAgent: `m365-copilot-mcp/${packageVersion()}`, timeoutMs: config.graphTimeoutSeconds * 1000, onExchange: recordGraphCall };
  // Retries may add at most ~20 % to the load, plus a floor of 10 per second (the shape of Finagle's retry budget).
  const budget = createRetryBudget({ capacity: 20, refillPerSuccess: 0.2, refillPerSecond: 10 });
  const retry = retrying({ maxAttempts: config.graphMaxAttempts, deadlineMs: config.graphTimeoutSeconds * 1000, budget });
  const breakers = { delegated: circuitBreaker(), app: circuitBreaker() };
  const batchRetry = config.graphMaxAttempts > 1 ? { batchRetry: { maxAttempts: config.graphMaxAttempts, baseDelayMs: 250, maxDelayMs: 8000 } } : {};
  return (flow, tokens) => {
    let stale = false; // set when Graph rejected a token: the next acquisition skips the cache
    const reauth = reauthOnce(() => (stale = true));
    return createGraphClient({
      ...common,
      sendPolicy: (send) => reauth(breakers[flow](retry(send))),
      ...batchRetry,
      getToken: async (scopes, signal) => {
        const forceRefresh = stale;
        stale = false;
        return (await tokens.getToken({ flow, scopes: flow === 'app' ? [] : scopes, forceRefresh }, signal)).accessToken;
      },
    });
  };
}
