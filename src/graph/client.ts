import * as z from 'zod';
import type { Logger } from '../log.js';
import { AppError } from '../errors.js';
import { BatchAnswerSchema, batchRequestBody, checkBatchItems, matchBatchAnswers, sendWithItemRetries, type BatchItem, type BatchItemResult, type BatchRetryOptions } from './batch.js';
import { parseJsonBody, validate } from './decode.js';
import { randomUUID } from 'node:crypto';
import { GraphError, parseGraphError } from './errors.js';
import { sseData } from './sse.js';
import { createSend, type Exchange, type HttpMethod, type Send } from './transport.js';
import { assertSameOrigin, normaliseBaseUrl, resolveGraphUrl, type GraphVersion, type QueryParams } from './url.js';

export type { BatchItem, BatchItemResult, BatchRetryOptions } from './batch.js';
export type { HttpMethod, Send, Exchange, RawAnswer } from './transport.js';
export type { GraphVersion, QueryParams } from './url.js';

export interface GraphRequestBase {
  method: HttpMethod;
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
   * Awaited before every attempt of this request, retries included, e.g. to take a rate limiter's
   * permit (interaction export: 30 requests/s per app per tenant). A rejection ends the request.
   */
  admit?: (signal?: AbortSignal) => Promise<void>;
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
}

export interface GraphClient {
  request<T>(req: GraphRequest<T>): Promise<GraphResponse<T>>;
  /** One yield per page (a page may be empty), following `@odata.nextLink` until Graph stops sending one. */
  paginate<T>(req: GraphPageRequest<T>): AsyncGenerator<GraphPage<T>, void, undefined>;
  /** Up to 20 items in one round trip; per-item failures are results, only a failed batch call throws. */
  batch(items: BatchItem[], opts: BatchOptions): Promise<Map<string, BatchItemResult>>;
  /**
   * A Server-Sent Events answer: each event's data, parsed as JSON, is handed to `onEvent` as it
   * arrives. Not retried (a stream cannot be replayed once the caller has relayed part of it).
   */
  stream(req: GraphStreamRequest): Promise<{ requestId: string | undefined }>;
}

export interface GraphStreamRequest extends Pick<GraphRequestBase, 'method' | 'scopes' | 'permissions' | 'body' | 'signal'> {
  path: string;
  version?: GraphVersion;
  onEvent(data: unknown): void | Promise<void>;
}

export interface GraphClientOptions {
  /** Graph origin without a version, e.g. https://graph.microsoft.com. */
  baseUrl: string;
  defaultVersion?: GraphVersion;
  getToken: (scopes: string[], signal?: AbortSignal) => Promise<string>;
  log?: Logger;
  fetch?: typeof fetch;
  userAgent?: string;
  /** Deadline for one HTTP exchange, body included. */
  timeoutMs?: number;
  /** Wraps the single-attempt sender, e.g. with retries and backoff. */
  sendPolicy?: (send: Send) => Send;
  /** Resend only the $batch items Graph throttled (429/503/504); off unless given. */
  batchRetry?: BatchRetryOptions;
  /** Told about every attempt that reached Graph and every $batch item answer (the audit log's request-ids). */
  onExchange?: (report: ExchangeReport) => void;
}

export interface ExchangeReport {
  method: string;
  path: string;
  /** 0 when no answer came back (reset, timeout). */
  status: number;
  requestId?: string | undefined;
  batchItem?: string;
}

/** What one exchange needs besides its URL. */
type Call = Pick<GraphRequestBase, 'method' | 'scopes' | 'permissions' | 'body' | 'headers' | 'signal' | 'admit'>;
type AdmittedExchange = Exchange & Pick<GraphRequestBase, 'admit'>;

const PageSchema = z.looseObject({
  value: z.array(z.unknown()),
  '@odata.nextLink': z.string().nullish(),
});

export function createGraphClient(opts: GraphClientOptions): GraphClient {
  const base = normaliseBaseUrl(opts.baseUrl);
  const defaultVersion = opts.defaultVersion ?? 'v1.0';
  const single = admitting(createSend({
    getToken: opts.getToken,
    fetch: opts.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    userAgent: opts.userAgent ?? 'm365-copilot-mcp',
    timeoutMs: opts.timeoutMs,
    log: opts.log,
  }));
  // Reported below the retry policy, so each attempt (and its request-id) is seen, not just the last.
  const observed = opts.onExchange ? reporting(single, opts.onExchange) : single;
  const send = opts.sendPolicy ? opts.sendPolicy(observed) : observed;

  async function exchange(req: Call, url: URL) {
    const ex: AdmittedExchange = { method: req.method, url, scopes: req.scopes, permissions: req.permissions, body: req.body, headers: req.headers, signal: req.signal, admit: req.admit };
    const answer = await send(ex);
    const ctx = { method: req.method, path: url.pathname, requestId: answer.requestId };
    return { answer, ctx, json: parseJsonBody(answer, ctx) };
  }

  async function request<T>(req: GraphRequest<T>): Promise<GraphResponse<T>> {
    const url = resolveGraphUrl(base, req.path, req.version ?? defaultVersion, req.query);
    const { answer, ctx, json } = await exchange(req, url);
    return { data: validate(req.schema, json, ctx), requestId: answer.requestId, status: answer.status };
  }

  async function* paginate<T>(req: GraphPageRequest<T>): AsyncGenerator<GraphPage<T>, void, undefined> {
    let url: URL | undefined = resolveGraphUrl(base, req.path, req.version ?? defaultVersion, req.query);
    // Later pages carry everything in the nextLink; the caller's query and body apply to the first only.
    let call: Call = req;
    while (url) {
      const { answer, ctx, json } = await exchange(call, url);
      const page = validate(PageSchema, json, ctx);
      const items = page.value.map((item, i) => validate(req.itemSchema, item, ctx, ['value', i]));
      const nextLink = page['@odata.nextLink'] ?? undefined;
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
      call = { method: 'GET', scopes: req.scopes, permissions: req.permissions, headers: req.headers, signal: req.signal, admit: req.admit };
    }
  }

  async function stream(req: GraphStreamRequest): Promise<{ requestId: string | undefined }> {
    const url = resolveGraphUrl(base, req.path, req.version ?? defaultVersion, undefined);
    const path = url.pathname;
    const token = await opts.getToken(req.scopes, req.signal);
    const fetchImpl = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    let response: Response;
    try {
      response = await fetchImpl(url.href, {
        method: req.method,
        headers: {
          Accept: 'text/event-stream',
          'User-Agent': opts.userAgent ?? 'm365-copilot-mcp',
          'client-request-id': randomUUID(),
          Authorization: `Bearer ${token}`,
          ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        redirect: 'manual',
      });
    } catch (cause) {
      if (req.signal?.aborted) throw new AppError('Cancelled', `${req.method} ${path} was cancelled`, { cause: req.signal.reason, nextStep: 'Nothing to do: the caller cancelled the request.' });
      throw new AppError('NetworkError', `cannot reach Graph at ${url.host}`, { cause, nextStep: 'Check the network connection and the Graph host, then retry.' });
    }
    const requestId = response.headers.get('request-id') ?? undefined;
    opts.onExchange?.({ method: req.method, path, status: response.status, requestId });
    if (response.status < 200 || response.status >= 300 || !response.body) {
      const bodyText = (await response.text()).split(token).join('[redacted]');
      if (response.status >= 200 && response.status < 300) throw new AppError('BadGraphResponse', `Graph answered ${req.method} ${path} without a body`, { nextStep: 'Retry; if it persists, report the requestId.', details: { requestId } });
      throw parseGraphError({ status: response.status, headers: response.headers, bodyText, method: req.method, path, ...(req.permissions ? { permissions: req.permissions } : {}) });
    }
    for await (const data of sseData(response.body)) {
      let event: unknown;
      try {
        event = JSON.parse(data);
      } catch (cause) {
        throw new AppError('BadGraphResponse', `Graph streamed an event that is not JSON for ${req.method} ${path}`, { cause, nextStep: 'Retry; if it persists, report the requestId.', details: { requestId } });
      }
      await req.onEvent(event);
    }
    return { requestId };
  }

  async function batch(items: BatchItem[], batchOpts: BatchOptions): Promise<Map<string, BatchItemResult>> {
    checkBatchItems(items);
    const url = resolveGraphUrl(base, '/$batch', batchOpts.version ?? defaultVersion, undefined);
    const sendBatch = async (subset: BatchItem[]) => {
      const permissions = [...new Set(subset.flatMap((i) => i.permissions ?? []))];
      const call: Call = { method: 'POST', body: batchRequestBody(subset), scopes: batchOpts.scopes, permissions: permissions.length ? permissions : undefined, signal: batchOpts.signal };
      const { answer, ctx, json } = await exchange(call, url);
      const parsed = validate(BatchAnswerSchema, json, ctx);
      const known = new Set(subset.map((i) => i.id.toLowerCase()));
      const strays = parsed.responses.filter((r) => !known.has(r.id.toLowerCase())).map((r) => r.id);
      if (strays.length) opts.log?.warn('graph $batch answered ids that were not asked', { ids: strays, requestId: answer.requestId });
      const results = matchBatchAnswers(subset, parsed, answer.requestId);
      if (opts.onExchange) for (const item of subset) reportBatchItem(opts.onExchange, item, results.get(item.id));
      return results;
    };
    if (!opts.batchRetry) return sendBatch(items);
    return sendWithItemRetries(items, sendBatch, opts.batchRetry, batchOpts.signal, (err) =>
      opts.log?.warn('graph $batch item retry failed; keeping the answers so far', { code: err instanceof AppError ? err.code : 'Error' }),
    );
  }

  return { request, paginate, batch, stream };
}

function reporting(send: Send, report: (r: ExchangeReport) => void): Send {
  return async (ex) => {
    const base = { method: ex.method, path: ex.url.pathname };
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
  report({ method: item.method, path: item.url.split('?')[0] ?? item.url, status: result.status, requestId, batchItem: item.id });
}

/** Sits below the retry policy (the policies pass the exchange through), so every attempt waits for admission. */
function admitting(send: Send): Send {
  return async (ex: AdmittedExchange) => {
    if (ex.admit) await ex.admit(ex.signal);
    return send(ex);
  };
}

function parseNextLink(nextLink: string, current: URL, path: string): URL {
  try {
    // Graph sends absolute links; a relative one is resolved against the page it came from, not rebuilt.
    return new URL(nextLink, current);
  } catch (cause) {
    throw new AppError('BadGraphResponse', `Graph's nextLink for ${path} is not a URL`, { cause, nextStep: 'Retry; if it persists, report the requestId.' });
  }
}
