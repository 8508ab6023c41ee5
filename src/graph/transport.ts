import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseGraphError } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One item of a $batch exchange, as policies see it: which route it calls. */
export interface BatchUnit {
  id: string;
  route: string;
}

/**
 * What a stream's consumer itself threw (its own verdict on an event, or a bug), carried through the
 * transport unchanged: only a failure to read the body is a network error.
 */
export class StreamConsumerError extends Error {
  constructor(readonly inner: unknown) {
    super('stream consumer failed');
  }
}

/** Shared by every attempt of a streamed exchange: once events reached the caller, nothing may be sent again. */
export interface StreamDelivery {
  started: boolean;
}

/** One HTTP exchange with Graph, fully resolved: what a retry policy would replay. */
export interface Exchange {
  method: HttpMethod;
  url: URL;
  /**
   * The route template, e.g. `POST /copilot/retrieval` or `GET /copilot/users/{id}/…`: what
   * per-route policies and the circuit breaker key on (a bounded set, unlike paths with ids in them).
   */
  route: string;
  scopes: string[];
  permissions?: string[] | undefined;
  body?: unknown;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  /** The access token for this attempt, put there by the authorizing policy. */
  token?: string | undefined;
  /** $batch only: the route of each item. */
  units?: readonly BatchUnit[] | undefined;
  /** Told about this exchange's every attempt that reached Graph (the caller's audit record). */
  report?: ((report: ExchangeReport) => void) | undefined;
  /** Server-Sent Events or a file: the 2xx body goes here as it arrives (with the answer's headers), instead of being read as text. */
  onStream?: ((body: ReadableStream<Uint8Array>, headers: AnswerHeaders) => Promise<void>) | undefined;
  delivery?: StreamDelivery | undefined;
}

/** One attempt that reached Graph, or one $batch item's answer, as the audit record keeps it. */
export interface ExchangeReport {
  method: string;
  path: string;
  route: string;
  /** 0 when no answer came back (reset, timeout). */
  status: number;
  requestId?: string | undefined;
  batchItem?: string;
}

/** What is read of an answer's headers: fetch's Headers has it, and so does nodeHttpFetch's lighter view. */
export interface AnswerHeaders {
  /** The header's value (case-insensitive name), or null when absent. */
  get(name: string): string | null;
}

/** A 2xx answer with its body still unparsed. */
export interface RawAnswer {
  status: number;
  headers: AnswerHeaders;
  bodyText: string;
  requestId: string | undefined;
}

/**
 * Sends one exchange once. Throws GraphError for a non-2xx answer and AppError for transport
 * failures, so a retry policy can wrap it (`(send) => send`) and decide on `code`/`status` alone.
 */
export type Send = (exchange: Exchange) => Promise<RawAnswer>;

/**
 * What the transport reads of an answer: the part of a web Response it uses. The global fetch
 * satisfies it; so does our node:http fetch (nodeHttpFetch.ts), which reads a JSON body straight off
 * the socket without building a web stream for it.
 */
export interface GraphFetchResponse {
  readonly status: number;
  readonly headers: AnswerHeaders;
  /** The body as a web stream, for the SSE and download consumers (`onStream`). */
  readonly body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

export type GraphFetch = (url: string, init: RequestInit) => Promise<GraphFetchResponse>;

export interface TransportOptions {
  fetch: GraphFetch;
  userAgent: string;
  timeoutMs?: number | undefined;
  log?: Logger | undefined;
}

export function createSend(opts: TransportOptions): Send {
  return async (ex) => {
    const what = `${ex.method} ${ex.url.pathname}`;
    throwIfCancelled(ex.signal, what);
    const token = ex.token;
    if (token === undefined) throw new Error(`${what} reached the transport without a token (the authorizing policy is missing)`);
    const clientRequestId = randomUUID();
    const headers: Record<string, string> = {
      ...callerHeaders(ex.headers),
      Accept: ex.onStream ? 'text/event-stream' : 'application/json',
      'User-Agent': opts.userAgent,
      'client-request-id': clientRequestId,
      Authorization: `Bearer ${token}`,
    };
    let payload: string | undefined;
    if (ex.body !== undefined) {
      payload = JSON.stringify(ex.body);
      headers['Content-Type'] = 'application/json';
    }

    const deadline = linkDeadline(ex.signal, opts.timeoutMs);
    const started = Date.now();
    let response: GraphFetchResponse;
    let bodyText: string;
    try {
      // No automatic redirects: a 3xx to another host would otherwise be followed with our request.
      response = await opts.fetch(ex.url.href, { method: ex.method, headers, ...(payload !== undefined ? { body: payload } : {}), signal: deadline.signal, redirect: 'manual' });
      if (ex.onStream && response.status >= 200 && response.status < 300 && response.body) {
        if (ex.delivery) ex.delivery.started = true;
        await ex.onStream(response.body, response.headers);
        bodyText = '';
      } else {
        // A server that echoes the request (some proxies do) must not put our token into an error text or a tool result.
        bodyText = scrub(await response.text(), token);
      }
    } catch (cause) {
      if (ex.signal?.aborted) throw cancelled(what, ex.signal);
      if (deadline.timedOut()) throw timedOut(what, opts.timeoutMs ?? 0, cause);
      // A stream consumer's own verdict (an event that is not JSON) is not a network failure.
      if (cause instanceof StreamConsumerError) throw cause.inner;
      throw networkError(ex.url, cause);
    } finally {
      deadline.dispose();
    }

    const requestId = response.headers.get('request-id') ?? undefined;
    const fields = { method: ex.method, path: ex.url.pathname, status: response.status, requestId, clientRequestId, ms: Date.now() - started };
    if (response.status >= 200 && response.status < 300) {
      opts.log?.debug('graph answered', fields);
      return { status: response.status, headers: response.headers, bodyText, requestId };
    }
    const error = parseGraphError({
      status: response.status,
      headers: response.headers,
      bodyText,
      method: ex.method,
      path: ex.url.pathname,
      ...(ex.permissions ? { permissions: ex.permissions } : {}),
    });
    // 404s and 403s are answers the tools handle; only throttling and outages deserve attention in the log.
    const level = response.status === 429 || response.status >= 500 ? 'warn' : 'debug';
    opts.log?.[level]('graph refused', { ...fields, graphCode: error.graphCode, code: error.code });
    throw error;
  };
}

const OWN_HEADERS = new Set(['accept', 'user-agent', 'client-request-id', 'authorization', 'content-type']);

/** fetch merges same-named headers case-insensitively, so a caller's `authorization` would be joined to ours, not replaced. */
function callerHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([k]) => !OWN_HEADERS.has(k.toLowerCase())));
}

function scrub(text: string, token: string): string {
  return token && text.includes(token) ? text.split(token).join('[redacted]') : text;
}

function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelled(what, signal);
}

function cancelled(what: string, signal: AbortSignal): AppError {
  return new AppError('Cancelled', `${what} was cancelled`, { cause: signal.reason, nextStep: 'Nothing to do: the caller cancelled the request.' });
}

function timedOut(what: string, ms: number, cause: unknown): AppError {
  return new AppError('ServiceUnavailable', `Graph did not answer ${what} within ${Math.round(ms / 1000)} s`, {
    cause,
    nextStep: 'Retry in a little while; if it keeps happening, raise --graph-timeout.',
    details: { timeoutMs: ms },
  });
}

function networkError(url: URL, cause: unknown): AppError {
  const code = errorCode(cause);
  const hint =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? `Check the host name ${url.hostname} (DNS) and graphBaseUrl.`
      : code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)
        ? `The TLS certificate of ${url.host} is not trusted; if a proxy or a private CA is in the way, pass its CA with --ca-cert.`
        : `Check the network connection, any proxy or firewall, and that ${url.host} is the right Graph host.`;
  return new AppError('NetworkError', `cannot reach Graph at ${url.host}${code ? ` (${code})` : ''}`, { cause, nextStep: hint, details: { host: url.host, ...(code ? { errno: code } : {}) } });
}

/** undici wraps the socket error: `TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })`. */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length) {
      const inner = errorCode(errors[0]);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** One signal that fires on the caller's cancel or on the per-request deadline, and can tell which. */
function linkDeadline(signal: AbortSignal | undefined, timeoutMs: number | undefined) {
  const ctrl = new AbortController();
  let expired = false;
  const onAbort = () => ctrl.abort(signal?.reason);
  if (signal) {
    if (signal.aborted) ctrl.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  const timer =
    timeoutMs && timeoutMs > 0
      ? setTimeout(() => {
          expired = true;
          ctrl.abort(new Error(`deadline of ${timeoutMs} ms passed`));
        }, timeoutMs)
      : undefined;
  timer?.unref();
  return {
    signal: ctrl.signal,
    timedOut: () => expired,
    dispose: () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
