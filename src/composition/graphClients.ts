import type { TokenBroker, TokenFlow } from '../auth/broker.js';
import type { Endpoints } from '../config/endpoints.js';
import type { Config } from '../config/schema.js';
import { circuitBreaker } from '../graph/circuitBreaker.js';
import { createGraphClient, type GraphClient } from '../graph/client.js';
import { reauthOnce } from '../graph/reauthPolicy.js';
import { createRetryBudget, retrying } from '../graph/retryPolicy.js';
import type { Logger } from '../log.js';
import { exportRateLimit } from '../policy/exportRateLimit.js';
import type { Governance } from '../policy/governance.js';
import type { BudgetCaller } from '../policy/retrievalBudget.js';
import { retrievalBudgetPolicy } from '../policy/retrievalBudgetPolicy.js';
import { circuitStateRecorder, observedGraphAttempts, tracedGraphRequest } from '../telemetry/graphTelemetry.js';
import { tracedTokenAcquisition } from '../telemetry/tokenTelemetry.js';
import { packageVersion } from '../version.js';

/**
 * `caller`: whose retrieval budget a delegated client's requests count against, and whose turn an
 * app-only client's export requests take (asked after the token is in hand, so it has an answer).
 */
export type GraphClientFor = (flow: TokenFlow, tokens: Pick<TokenBroker, 'getToken'>, caller?: () => Promise<BudgetCaller | undefined>) => GraphClient;

/**
 * Graph clients for any token broker, all through the one chain, sharing what must be shared across
 * users and requests: the retry budget (a throttling storm cannot multiply our load), one circuit
 * breaker per flow and route, the export rate limiter (per app and tenant) and the retrieval budget
 * (per user). HTTP mode calls it once per request with that caller's broker; stdio once per flow.
 */
export function createGraphClientFactory(config: Config, endpoints: Endpoints, log: Logger, governance: Pick<Governance, 'retrievalBudget' | 'exportLimiter'>): GraphClientFor {
  const graphLog = log.child({ component: 'graph' });
  // --ca-cert holds for Graph as for identity traffic (a TLS-inspecting proxy sits in front of both).
  const trust = { extraCaPem: endpoints.extraCaPem, onlyExtraCa: endpoints.onlyExtraCa };
  const common = { baseUrl: endpoints.graphBaseUrl, log: graphLog, userAgent: `m365-copilot-mcp/${packageVersion()}`, timeoutMs: config.graphTimeoutSeconds * 1000, trust };
  // Retries may add at most ~20 % to the load, plus a floor of 10 per second (the shape of Finagle's retry budget).
  const budget = createRetryBudget({ capacity: 20, refillPerSuccess: 0.2, refillPerSecond: 10 });
  const retry = retrying({ maxAttempts: config.graphMaxAttempts, deadlineMs: config.graphTimeoutSeconds * 1000, budget });
  const breakers = { delegated: circuitBreaker({ onState: circuitStateRecorder('delegated') }), app: circuitBreaker({ onState: circuitStateRecorder('app') }) };
  const batchRetry = config.graphMaxAttempts > 1 ? { batchRetry: { maxAttempts: config.graphMaxAttempts, baseDelayMs: 250, maxDelayMs: 8000 } } : {};
  const exportPolicyFor = exportRateLimit(governance.exportLimiter);
  return (flow, tokens, caller) => {
    let stale = false; // set when Graph rejected a token: the next acquisition skips the cache
    const reauth = reauthOnce(() => (stale = true));
    return createGraphClient({
      ...common,
      // The export limit holds for every app-only client; the budget counts for a known caller.
      policies: flow === 'app' ? [exportPolicyFor(caller ?? (async () => undefined))] : caller ? [retrievalBudgetPolicy(governance.retrievalBudget, caller)] : [],
      // Telemetry outermost (one span per request, retries inside it) and per attempt (counted by status).
      sendPolicy: (send) => tracedGraphRequest(reauth(breakers[flow](retry(observedGraphAttempts(send))))),
      ...batchRetry,
      getToken: async (scopes, signal) => {
        const forceRefresh = stale;
        stale = false;
        return tracedTokenAcquisition(flow, async () => (await tokens.getToken({ flow, scopes: flow === 'app' ? [] : scopes, forceRefresh }, signal)).accessToken);
      },
    });
  };
}
