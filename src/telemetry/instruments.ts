import { metrics, type Counter, type Gauge, type Histogram, type UpDownCounter } from '@opentelemetry/api';

/** The instrumentation scope every span and metric of this server carries. */
export const SCOPE = 'm365-copilot-mcp';

/**
 * Every metric the server records. Built on first use from the global meter provider: with no SDK
 * registered (no OTEL_EXPORTER_OTLP_ENDPOINT) the API's no-op meter makes them free. The SDK, when
 * used, is registered before anything records (startTelemetry runs before the server is composed).
 * Attributes are bounded sets (route templates, statuses, kinds): never a user, a query or a token.
 */
export interface Instruments {
  /** MCP semantic conventions: seconds per request, by mcp.method.name, gen_ai.tool.name, error.type. */
  operationDuration: Histogram;
  /** Graph attempts by url.template (the route) and http.response.status_code (0: no answer). */
  graphRequests: Counter;
  /** Graph answers of 429 (and 503 with Retry-After) by route. */
  graphThrottles: Counter;
  /** The Retry-After Graph asked for, in seconds. */
  graphRetryAfter: Histogram;
  /** What a user's Copilot Retrieval budget had left after each call (distribution; no user attribute). */
  budgetRemaining: Histogram;
  /** Token acquisitions by m365.token.kind: cache, refresh, obo, client_credentials, device_code… */
  tokenAcquisitions: Counter;
  /** Per flow and route: 0 closed, 1 half-open (probing), 2 open. */
  circuitState: Gauge;
  /** MCP requests being served now. */
  inFlight: UpDownCounter;
}

let made: Instruments | undefined;

export function instruments(): Instruments {
  if (made) return made;
  const meter = metrics.getMeter(SCOPE);
  made = {
    operationDuration: meter.createHistogram('mcp.server.operation.duration', {
      unit: 's',
      description: 'Duration of the MCP request or notification as observed on the receiver from the time it was received until the result or ack is sent.',
      advice: { explicitBucketBoundaries: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300] },
    }),
    graphRequests: meter.createCounter('m365.graph.requests', { description: 'Graph requests sent (every attempt), by route template and status.' }),
    graphThrottles: meter.createCounter('m365.graph.throttles', { description: 'Graph answers that asked to slow down (429, or 503 with Retry-After), by route template.' }),
    graphRetryAfter: meter.createHistogram('m365.graph.retry_after', { unit: 's', description: 'Retry-After seconds Graph asked for.' }),
    budgetRemaining: meter.createHistogram('m365.retrieval.budget.remaining', { description: "Copilot Retrieval calls left in the user's hour after a call." }),
    tokenAcquisitions: meter.createCounter('m365.token.acquisitions', { description: 'Access tokens handed to Graph requests, by how they were obtained.' }),
    circuitState: meter.createGauge('m365.graph.circuit.state', { description: 'Circuit breaker state per flow and route: 0 closed, 1 half-open, 2 open.' }),
    inFlight: meter.createUpDownCounter('m365.mcp.in_flight', { description: 'MCP requests being served.' }),
  };
  return made;
}
