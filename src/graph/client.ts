import * as z from 'zod';
import type { Logger } from '../log.js';
import { AppError } from '../errors.js';
import { BatchAnswerSchema, batchRequestBody, checkBatchItems, matchBatchAnswers, sendWithItemRetries, type BatchItem, type BatchItemResult, type BatchRetryOptions } from './batch.js';
import { authorizing } from './authorizing.js';
import { parseJsonBody, validate } from './decode.js';
import { GraphError } from './errors.js';
import { backoffSleep, defaultSleep } from './retryPolicy.js';
import { applyRoutePolicies, brokenBodyAttempts, type RoutePolicy } from './routePolicies.js';
import { sharedNodeHttpFetch, type TrustOptions } from './nodeHttpFetch.js';
import { sseData } from './sse.js';
import { createSend, StreamConsumerError, type AnswerHeaders, type Exchange, type ExchangeReport, type GraphFetch, type HttpMethod, type Send } from './transport.js';
import { assertSameOrigin, normaliseBaseUrl, resolveGraphUrl, type GraphVersion, type QueryParams } from './url.js';

export type { BatchItem, BatchItemResult, BatchRetryOptions } from './batch.js';
export type { HttpMethod, Send, Exchange, ExchangeReport, RawAnswer } from './transport.js';
export type { GraphVersion, QueryParams } from './url.js';

export interface GraphRequestBase {
  method: HttpMethod;
  /** The route template (`POST /copilot/retrieval`): per-route policies and the circuit breaker key on it. */
  route: string;
  /** `/copilot/retrieval` (may carry a query string), or an absolute URL on the Graph origin such as a nextLink. */
  path: string | URL;
  version?: GraphVersion;
  query?: QueryParams;
  body?: unknown;
  /** Extra request headers (e.g. ConsistencyLevel); Authorization and the client's own headers always win. */
  headers?: Record<string, string>;
  scopes: string[];
  /** Human names of what the call needs, e.g. "Files.Read.All (delegated)", for 403 advice. */
  permissions?: string[];
  signal?: AbortSignal;
  /**
   * Told about every attempt that reached Graph and every $batch item answer: the audit record of
   * the tool call that made the request (server/boundGraph.ts sets it per call). Passed with the
   * request rather than found through AsyncLocalStorage, whose hooks cost every promise of the
   * process on Node 20 (issue 17's stdio profile).
   */
  onExchange?: (report: ExchangeReport) => void;
}

export interface GraphRequest<T> extends GraphRequestBase {
  schema: z.ZodType<T>;
}

export interface GraphPageRequest<T> extends GraphRequestBase {
  itemSchema: z.ZodType<T>;
}

export interface GraphResponse<T> {
  data: T;
  requestId: string | undefined;
  status: number;
}

export interface GraphPage<T> {
  items: T[];
  requestId: string | undefined;
  /** Absolute URL of the next page, exactly as Graph sent it; absent on the last page. */
  nextLink?: string;
}

export interface BatchOptions {
  scopes: string[];
  version?: GraphVersion;
  signal?: AbortSignal;
  /** As GraphRequestBase.onExchange: the $batch call's attempts and each item's answer. */
  onExchange?: (report: ExchangeReport) => void;
}

export interface GraphClient {
  request<T>(req: GraphRequest<T>): Promise<GraphResponse<T>>;
  /** One yield per page (a page may be empty), following `@odata.nextLink` until Graph stops sending one. */
  paginate<T>(req: GraphPageRequest<T>): AsyncGenerator<GraphPage<T>, void, undefined>;
  /** Up to 20 items in one round trip; per-item failures are results, only a failed batch call throws. */
  batch(items: BatchItem[], opts: BatchOptions): Promise<Map<string, BatchItemResult>>;
  /**
   * A Server-Sent Events answer: each event's data, parsed as JSON, is handed to `onEvent` as it
   * arrives. Through the same chain as every request (token, timeout, 401 re-auth, breaker,
   * policies); retried only while nothing has reached the caller yet.
   */
  stream(req: GraphStreamRequest): Promise<{ requestId: string | undefined }>;
  /**
   * A 2xx body read as it arrives by `consume`, whatever its content type (a report's CSV stream,
   * or JSON where Graph sends JSON). Through the same chain as every request; retried only while
   * nothing has reached `consume` yet.
   */
  download<T>(req: GraphDownloadRequest<T>): Promise<GraphResponse<T>>;
}

export interface GraphDownloadRequest<T> extends Pick<GraphRequestBase, 'method' | 'route' | 'scopes' | 'permissions' | 'signal' | 'query' | 'onExchange'> {
  path: string;
  version?: GraphVersion;
  consume(body: ReadableStream<Uint8Array>, contentType: string): Promise<T>;
}

export interface GraphStreamRequest extends Pick<GraphRequestBase, 'method' | 'route' | 'scopes' | 'permissions' | 'body' | 'signal' | 'onExchange'> {
  path: string;
  version?: GraphVersion;
  onEvent(data: unknown): void | Promise<void>;
}

export interface GraphClientOptions {
  /** Graph origin without a version, e.g. https://graph.microsoft.com. */
  baseUrl: string;
  /** Per-route limits, admission gates and counts, applied to every attempt with its token in hand. */
  policies?: readonly RoutePolicy[];
  defaultVersion?: GraphVersion;
  getToken: (scopes: string[], signal?: AbortSignal) => Promise<string>;
  log?: Logger;
  /** Default: node:http(s) (nodeHttpFetch.ts), lighter than the global fetch, trusting `trust`'s CA. */
  fetch?: GraphFetch;
  /** --ca-cert for Graph traffic (the default fetch only). */
  trust?: TrustOptions;
  userAgent?: string;
  /** Deadline for one HTTP exchange, body included. */
  timeoutMs?: number;
  /** Wraps the authorized single-attempt sender, e.g. with retries, the breaker and 401 re-auth. */
  sendPolicy?: (send: Send) => Send;
  /** Resend only the $batch items Graph throttled (429/503/504); off unless given. */
  batchRetry?: BatchRetryOptions;
}

/** What one exchange needs besides its URL. */
type Call = Pick<GraphRequestBase, 'method' | 'route' | 'scopes' | 'permissions' | 'body' | 'headers' | 'signal' | 'onExchange'> & Pick<Exchange, 'units'>;

const PageSchema = z.looseObject({
  value: z.array(z.unknown()),
  '@odata.nextLink': z.string().nullish(),
});

export function createGraphClient(opts: GraphClientOptions): GraphClient {
  const base = normaliseBaseUrl(opts.baseUrl);
  const defaultVersion = opts.defaultVersion ?? 'v1.0';
  const policies = opts.policies ?? [];
  const single = createSend({
    fetch: opts.fetch ?? sharedNodeHttpFetch(opts.trust),
    userAgent: opts.userAgent ?? 'm365-copilot-mcp',
    timeoutMs: opts.timeoutMs,
    log: opts.log,
  });
  // The one chain, inside out: each attempt is reported (so each request-id is seen, not just the
  // last), passes the route's policies, and gets its token first; retries, the breaker and re-auth wrap it all.
  const observed = reporting(single);
  const authorized = authorizing(opts.getToken)(applyRoutePolicies(observed, policies));
  const send = opts.sendPolicy ? opts.sendPolicy(authorized) : authorized;

  async function exchange(req: Call, url: URL, extra: Pick<Exchange, 'onStream' | 'delivery'> = {}) {
    const ex: Exchange = { method: req.method, url, route: req.route, scopes: req.scopes, permissions: req.permissions, body: req.body, headers: req.headers, signal: req.signal, units: req.units, report: req.onExchange, ...extra };
    const answer = await send(ex);
    const ctx = { method: req.method, path: url.pathname, requestId: answer.requestId };
    const json = extra.onStream ? undefined : parseJsonBody(answer, ctx);
    // Nothing reads the text once parsed. Objects of this request that are already in V8's old
    // generation (promises and frames pending since it started, behind the rate limiter and Graph;
    // pretenured ones) still point at this answer after they die, and a scavenge takes such a
    // pointer as live until the next full GC: the text would be copied and promoted (issue 17, the
    // export's old generation grew by whole pages). The other unpins: `paginate`, export/fileMode.ts.
    answer.bodyText = '';
    return { answer, ctx, json };
  }

  /**
   * A body cut short or of the wrong shape (a proxy, a dropped connection that still looked complete)
   * is asked again where the route's policy allows it: a read addressed by its URL. The other
   * BadGraphResponse cases (a nextLink to another origin, or to itself) would only repeat.
   */
  async function decoded<T>(req: Call, decode: () => Promise<T>): Promise<T> {
    const attempts = brokenBodyAttempts(policies, req.route);
    for (let attempt = 1; ; attempt++) {
      try {
        return await decode();
      } catch (err) {
        const broken = err instanceof AppError && err.code === 'BadGraphResponse' && ('contentType' in err.details || 'field' in err.details);
        if (!broken || attempt >= attempts || req.signal?.aborted) throw err;
        opts.log?.warn('graph answer had a broken body; asking again', { route: req.route, attempt, error: (err as Error).message });
        await backoffSleep(defaultSleep, 200 * attempt, req.signal, req.route);
      }
    }
  }

  async function request<T>(req: GraphRequest<T>): Promise<GraphResponse<T>> {
    const url = resolveGraphUrl(base, req.path, req.version ?? defaultVersion, req.query);
    return decoded(req, async () => {
      const { answer, ctx, json } = await exchange(req, url);
      return { data: validate(req.schema, json, ctx), requestId: answer.requestId, status: answer.status };
    });
  }

  async function* paginate<T>(req: GraphPageRequest<T>): AsyncGenerator<GraphPage<T>, void, undefined> {
    let url: URL | undefined = resolveGraphUrl(base, req.path, req.version ?? defaultVersion, req.query);
    // Later pages carry everything in the nextLink; the caller's query and body apply to the first only.
    let call: Call = req;
    while (url) {
      const at: URL = url;
      const { answer, ctx, items, nextLink } = await decoded(call, async () => {
        const { answer, ctx, json } = await exchange(call, at);
        const page = validate(PageSchema, json, ctx);
        const items = page.value.map((item, i) => validate(req.itemSchema, item, ctx, ['value', i]));
        // The parsed page stays referenced from this request's dead old-generation objects (see
        // `exchange`): empty its array, so the items live only as long as the caller keeps `items`.
        (json as { value: unknown[] }).value.length = 0;
        return { answer, ctx, items, nextLink: page['@odata.nextLink'] ?? undefined };
      });
      let next: URL | undefined;
      if (nextLink) {
        next = parseNextLink(nextLink, url, ctx.path);
        assertSameOrigin(next, base, '@odata.nextLink');
        if (next.href === url.href)
          throw new AppError('BadGraphResponse', `Graph's nextLink for ${ctx.method} ${ctx.path} points at the page it came with; stopping to avoid an endless loop`, {
            nextStep: 'Retry later; if it persists, report the requestId.',
            details: { ...(answer.requestId ? { requestId: answer.requestId } : {}) },
          });
      }
      yield { items, requestId: answer.requestId, ...(nextLink ? { nextLink } : {}) };
      url = next;
      call = { method: 'GET', route: req.route, scopes: req.scopes, permissions: req.permissions, headers: req.headers, signal: req.signal, onExchange: req.onExchange };
    }
  }

  async function stream(req: GraphStreamRequest): Promise<{ requestId: string | undefined }> {
    const url = resolveGraphUrl(base, req.path, req.version ?? defaultVersion, undefined);
    const delivery = { started: false };
    const onStream = async (body: ReadableStream<Uint8Array>) => {
      for await (const data of sseData(body)) {
        let event: unknown;
        try {
          event = JSON.parse(data);
        } catch (cause) {
          throw new StreamConsumerError(new AppError('BadGraphResponse', `Graph streamed an event that is not JSON for ${req.method} ${url.pathname}`, { cause, nextStep: 'Retry; if it persists, report the requestId.' }));
        }
        try {
          await req.onEvent(event);
        } catch (err) {
          throw new StreamConsumerError(err);
        }
      }
    };
    const { answer } = await exchange(req, url, { onStream, delivery });
    if (!delivery.started) throw new AppError('BadGraphResponse', `Graph answered ${req.method} ${url.pathname} without a body`, { nextStep: 'Retry; if it persists, report the requestId.', details: { requestId: answer.requestId } });
    return { requestId: answer.requestId };
  }

  async function download<T>(req: GraphDownloadRequest<T>): Promise<GraphResponse<T>> {
    const url = resolveGraphUrl(base, req.path, req.version ?? defaultVersion, req.query);
    const delivery = { started: false };
    let result: { data: T } | undefined;
    const onStream = async (body: ReadableStream<Uint8Array>, headers: AnswerHeaders) => {
      try {
        result = { data: await req.consume(body, headers.get('content-type') ?? '') };
      } catch (err) {
        // The consumer's verdict on the body is its own error; anything else came from reading the body: the network.
        if (err instanceof AppError) throw new StreamConsumerError(err);
        throw err;
      }
    };
    const { answer } = await exchange(req, url, { onStream, delivery });
    if (!result) throw new AppError('BadGraphResponse', `Graph answered ${req.method} ${url.pathname} without a body`, { nextStep: 'Retry; if it persists, report the requestId.', details: { requestId: answer.requestId } });
    return { data: result.data, requestId: answer.requestId, status: answer.status };
  }

  async function batch(items: BatchItem[], batchOpts: BatchOptions): Promise<Map<string, BatchItemResult>> {
    checkBatchItems(items);
    const url = resolveGraphUrl(base, '/$batch', batchOpts.version ?? defaultVersion, undefined);
    const sendBatch = async (subset: BatchItem[]) => {
      const permissions = [...new Set(subset.flatMap((i) => i.permissions ?? []))];
      const units = subset.map((i) => ({ id: i.id, route: i.route }));
      const call: Call = { method: 'POST', route: BATCH_ROUTE, units, body: batchRequestBody(subset), scopes: batchOpts.scopes, permissions: permissions.length ? permissions : undefined, signal: batchOpts.signal, onExchange: batchOpts.onExchange };
      const { answer, ctx, json } = await exchange(call, url);
      const parsed = validate(BatchAnswerSchema, json, ctx);
      const known = new Set(subset.map((i) => i.id.toLowerCase()));
      const strays = parsed.responses.filter((r) => !known.has(r.id.toLowerCase())).map((r) => r.id);
      if (strays.length) opts.log?.warn('graph $batch answered ids that were not asked', { ids: strays, requestId: answer.requestId });
      const results = matchBatchAnswers(subset, parsed, answer.requestId);
      const report = batchOpts.onExchange;
      if (report) for (const item of subset) reportBatchItem(report, item, results.get(item.id));
      return results;
    };
    if (!opts.batchRetry) return sendBatch(items);
    return sendWithItemRetries(items, sendBatch, opts.batchRetry, batchOpts.signal, (err) =>
      opts.log?.warn('graph $batch item retry failed; keeping the answers so far', { code: err instanceof AppError ? err.code : 'Error' }),
    );
  }

  return { request, paginate, batch, stream, download };
}

export const BATCH_ROUTE = 'POST /$batch';

/** Each attempt reported to its request's own sink (none: nothing to do). */
function reporting(send: Send): Send {
  return async (ex) => {
    const report = ex.report;
    if (!report) return send(ex);
    const base = { method: ex.method, path: ex.url.pathname, route: ex.route };
    try {
      const answer = await send(ex);
      report({ ...base, status: answer.status, requestId: answer.requestId });
      return answer;
    } catch (err) {
      if (err instanceof GraphError) report({ ...base, status: err.status, requestId: err.requestId });
      // A reset or a timeout may have reached Graph; a token or cancellation failure never left the process.
      else if (err instanceof AppError && (err.code === 'NetworkError' || err.code === 'ServiceUnavailable')) report({ ...base, status: 0 });
      throw err;
    }
  };
}

function reportBatchItem(report: (r: ExchangeReport) => void, item: BatchItem, result: BatchItemResult | undefined): void {
  if (!result) return;
  const requestId = result.ok ? result.requestId : result.error.requestId;
  report({ method: item.method, path: item.url.split('?')[0] ?? item.url, route: item.route, status: result.status, requestId, batchItem: item.id });
}

function parseNextLink(nextLink: string, current: URL, path: string): URL {
  try {
    // Graph sends absolute links; a relative one is resolved against the page it came from, not rebuilt.
    return new URL(nextLink, current);
  } catch (cause) {
    throw new AppError('BadGraphResponse', `Graph's nextLink for ${path} is not a URL`, { cause, nextStep: 'Retry; if it persists, report the requestId.' });
  }
}
