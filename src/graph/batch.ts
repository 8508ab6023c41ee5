import * as z from 'zod';
import { AppError } from '../errors.js';
import { GraphError, parseGraphError } from './errors.js';
import { RETRYABLE_STATUSES, backoffMs, backoffSleep, defaultSleep, type Sleep } from './retryPolicy.js';
import type { HttpMethod } from './transport.js';

/** Graph's documented ceiling for one JSON batch. */
export const MAX_BATCH_ITEMS = 20;

export interface BatchItem {
  id: string;
  method: HttpMethod;
  /** The route template of this item, e.g. `POST /copilot/retrieval`. */
  route: string;
  /** Relative and without the version, e.g. `/copilot/retrieval`. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Human names of what this item needs, for its 403 advice. */
  permissions?: string[];
}

export type BatchItemResult =
  | { ok: true; status: number; body: unknown; requestId?: string }
  | { ok: false; status: number; error: GraphError };

export const BatchAnswerSchema = z.looseObject({
  responses: z.array(
    z.looseObject({
      id: z.union([z.string(), z.number()]).transform(String),
      status: z.number().int(),
      headers: z.record(z.string(), z.unknown()).nullish(),
      body: z.unknown().optional(),
    }),
  ),
});

/** Misuse is a bug in the calling tool, so these are plain Errors, not AppErrors. */
export function checkBatchItems(items: BatchItem[]): void {
  if (items.length < 1 || items.length > MAX_BATCH_ITEMS) throw new RangeError(`a Graph $batch takes 1–${MAX_BATCH_ITEMS} items, got ${items.length}`);
  const seen = new Set<string>();
  for (const item of items) {
    // Graph compares batch ids case-insensitively; a clash fails the whole batch with 400.
    const key = item.id.toLowerCase();
    if (!item.id || seen.has(key)) throw new Error(`$batch item ids must be non-empty and unique (case-insensitively): ${JSON.stringify(item.id)}`);
    seen.add(key);
    if (!item.url.startsWith('/') || /^\/(v1\.0|beta)(\/|$)/i.test(item.url)) throw new Error(`$batch item url must be relative to the version root, e.g. /copilot/retrieval: ${item.url}`);
  }
}

export function batchRequestBody(items: BatchItem[]): { requests: unknown[] } {
  return {
    requests: items.map((item) => {
      const headers: Record<string, string> = { ...item.headers };
      // Graph rejects an item with a body but no Content-Type.
      if (item.body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
      return {
        id: item.id,
        method: item.method,
        url: item.url,
        ...(Object.keys(headers).length ? { headers } : {}),
        ...(item.body !== undefined ? { body: item.body } : {}),
      };
    }),
  };
}

function stringHeaders(headers: Record<string, unknown> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (typeof v === 'string' || typeof v === 'number') out[k.toLowerCase()] = String(v);
  return out;
}

/** Answers come in any order and are matched by id; an item Graph did not answer becomes an error result, not a hole. */
export function matchBatchAnswers(items: BatchItem[], answer: z.output<typeof BatchAnswerSchema>, batchRequestId: string | undefined): Map<string, BatchItemResult> {
  const byId = new Map<string, z.output<typeof BatchAnswerSchema>['responses'][number]>();
  for (const r of answer.responses) if (!byId.has(r.id.toLowerCase())) byId.set(r.id.toLowerCase(), r);

  const results = new Map<string, BatchItemResult>();
  for (const item of items) {
    const r = byId.get(item.id.toLowerCase());
    if (!r) {
      results.set(item.id, {
        ok: false,
        status: 0,
        error: new GraphError({
          code: 'BadGraphResponse',
          message: `Graph's $batch answer had no response for item ${item.id} (${item.method} ${item.url})`,
          nextStep: 'Retry the request; the other items were answered.',
          status: 0,
          requestId: batchRequestId,
          method: item.method,
          path: item.url.split('?')[0] ?? item.url,
        }),
      });
      continue;
    }
    // Items rarely carry their own request-id; the batch's one is what support can trace.
    const headers = { ...(batchRequestId ? { 'request-id': batchRequestId } : {}), ...stringHeaders(r.headers) };
    if (r.status >= 200 && r.status < 300) {
      const requestId = headers['request-id'];
      results.set(item.id, { ok: true, status: r.status, body: r.body, ...(requestId ? { requestId } : {}) });
    } else {
      const bodyText = typeof r.body === 'string' ? r.body : r.body === undefined ? '' : JSON.stringify(r.body);
      results.set(item.id, {
        ok: false,
        status: r.status,
        error: parseGraphError({ status: r.status, headers, bodyText, method: item.method, path: item.url, ...(item.permissions ? { permissions: item.permissions } : {}) }),
      });
    }
  }
  return results;
}

export interface BatchRetryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** An item Retry-After longer than this is not waited for; the item keeps its Throttled error. */
  maxRetryAfterMs?: number;
  random?: () => number;
  sleep?: Sleep;
}

function needsRetry(r: BatchItemResult | undefined): r is { ok: false; status: number; error: GraphError } {
  return r !== undefined && !r.ok && RETRYABLE_STATUSES.has(r.status);
}

/**
 * Graph throttles each batch item on its own, so only the items that came back 429/503/504 are sent
 * again, in a smaller batch, after the longest Retry-After among them; every other answer is kept.
 * A retry batch that fails as a whole ends the retries with what was already answered, unless cancelled.
 */
export async function sendWithItemRetries(
  items: BatchItem[],
  sendBatch: (items: BatchItem[]) => Promise<Map<string, BatchItemResult>>,
  opts: BatchRetryOptions,
  signal: AbortSignal | undefined,
  onAbandon?: (err: unknown) => void,
): Promise<Map<string, BatchItemResult>> {
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? defaultSleep;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
  const results = await sendBatch(items);
  const attempts = new Map<string, number>(items.map((i) => [i.id, 1]));

  for (let attempt = 1; attempt < opts.maxAttempts; attempt++) {
    const pending = items.filter((i) => needsRetry(results.get(i.id)));
    if (!pending.length) break;
    const waits = pending.map((i) => (results.get(i.id) as { error: GraphError }).error.retryAfterSeconds).filter((s): s is number => s !== undefined);
    const delayMs = waits.length ? Math.max(...waits) * 1000 : backoffMs(attempt - 1, opts.baseDelayMs, opts.maxDelayMs, random);
    if (delayMs > maxRetryAfterMs) break;
    await backoffSleep(sleep, delayMs, signal, 'POST /$batch');

    let again: Map<string, BatchItemResult>;
    try {
      again = await sendBatch(pending);
    } catch (err) {
      if (err instanceof AppError && err.code === 'Cancelled') throw err;
      onAbandon?.(err);
      break;
    }
    for (const item of pending) {
      const r = again.get(item.id);
      if (r) results.set(item.id, r);
      attempts.set(item.id, attempt + 1);
    }
  }
  // Say how hard we tried on the items that still failed, as the single-call policy does.
  for (const [id, r] of results) if (!r.ok && (attempts.get(id) ?? 1) > 1) r.error.details['attempts'] = attempts.get(id);
  return results;
}
