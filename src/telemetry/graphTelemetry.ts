import type { Attributes, Span } from '@opentelemetry/api';
import { GraphError } from '../graph/errors.js';
import type { Exchange, Send } from '../graph/transport.js';
import { instruments } from './instruments.js';
import { activeSpan, clientSpan } from './tracing.js';

/**
 * One CLIENT span per Graph request as a tool asked for it (retries included), child of the MCP
 * request span: its route template (never the path, which holds ids a caller chose), the final
 * status and Graph's request-id, how many attempts it took and whether Graph throttled it.
 */
export function tracedGraphRequest(send: Send): Send {
  return (ex) =>
    clientSpan(ex.route, { 'http.request.method': ex.method, 'url.template': ex.route, 'server.address': ex.url.hostname, 'm365.graph.attempts': 0 }, async (span) => {
      try {
        const answer = await send(ex);
        span.setAttribute('http.response.status_code', answer.status);
        if (answer.requestId) span.setAttribute('m365.graph.request_id', answer.requestId);
        return answer;
      } catch (err) {
        if (err instanceof GraphError) {
          span.setAttribute('http.response.status_code', err.status);
          if (err.requestId) span.setAttribute('m365.graph.request_id', err.requestId);
        }
        throw err;
      }
    });
}

/** Attempts so far per Graph request span (the API cannot read attributes back). */
const attemptsOf = new WeakMap<Span, number>();

function routeAttributes(ex: Exchange, status: number): Attributes {
  return { 'url.template': ex.route, 'http.response.status_code': status };
}

/**
 * Each attempt (inside the retry policy): counted by route and status, throttling (a 429, or a 503
 * with Retry-After) counted with the seconds Graph asked for, and summed on the request's span.
 */
export function observedGraphAttempts(send: Send): Send {
  return async (ex) => {
    const meters = instruments();
    const span = activeSpan();
    if (span) {
      const attempts = (attemptsOf.get(span) ?? 0) + 1;
      attemptsOf.set(span, attempts);
      span.setAttribute('m365.graph.attempts', attempts);
      if (attempts > 1) span.setAttribute('m365.graph.retries', attempts - 1);
    }
    try {
      const answer = await send(ex);
      meters.graphRequests.add(1, routeAttributes(ex, answer.status));
      return answer;
    } catch (err) {
      const status = err instanceof GraphError ? err.status : 0;
      meters.graphRequests.add(1, routeAttributes(ex, status));
      if (err instanceof GraphError && (status === 429 || (status === 503 && err.retryAfterSeconds !== undefined))) {
        meters.graphThrottles.add(1, { 'url.template': ex.route, 'http.response.status_code': status });
        if (err.retryAfterSeconds !== undefined) meters.graphRetryAfter.record(err.retryAfterSeconds, { 'url.template': ex.route });
        span?.setAttribute('m365.graph.throttled', true);
        if (err.retryAfterSeconds !== undefined) span?.setAttribute('m365.graph.retry_after_s', err.retryAfterSeconds);
      }
      throw err;
    }
  };
}

const CIRCUIT_STATES = { closed: 0, 'half-open': 1, open: 2 } as const;

/** The circuit breaker's state per flow and route, as the m365.graph.circuit.state gauge. */
export function circuitStateRecorder(flow: string): (ex: Exchange, state: keyof typeof CIRCUIT_STATES) => void {
  return (ex, state) => instruments().circuitState.record(CIRCUIT_STATES[state], { 'm365.token.flow': flow, 'url.template': ex.route });
}
