import { randomUUID } from 'node:crypto';
import { FAULT_ERRORS, isErrorFault, wrongShapeBody, type FaultInjector } from './faults.js';

/** One answer of a `$batch` response, as the batch handler writes them. */
export interface BatchItemAnswer {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export interface BatchFaults {
  /** The batch body for the router without the faulted items; undefined when none is left. */
  body: Record<string, unknown> | undefined;
  answers: BatchItemAnswer[];
  slowMs: number;
}

interface Item {
  raw: Record<string, unknown>;
  id: string;
  method: string;
  path: string;
  dependsOn: string[];
  clientRequestId: string | undefined;
}

const ITEM_JSON = 'application/json; charset=utf-8';

function graphDate(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/\.\d+Z$/, '');
}

/** The items, or undefined for anything malformed: the batch handler then answers its own 400. */
function readItems(body: unknown): Item[] | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const requests = (body as Record<string, unknown>)['requests'];
  if (!Array.isArray(requests)) return undefined;
  const items: Item[] = [];
  for (const raw of requests as unknown[]) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
    const r = raw as Record<string, unknown>;
    const { id, method, url, dependsOn, headers } = r;
    if (typeof id !== 'string' || typeof method !== 'string' || typeof url !== 'string') return undefined;
    let path: string;
    try {
      path = new URL(url.startsWith('/') ? url : `/${url}`, 'https://batch.invalid').pathname.split('/').map(decodeURIComponent).join('/');
    } catch {
      return undefined;
    }
    const deps = Array.isArray(dependsOn) ? dependsOn.filter((d): d is string => typeof d === 'string') : [];
    const crid = headers !== null && typeof headers === 'object' ? (headers as Record<string, unknown>)['client-request-id'] : undefined;
    items.push({ raw: r, id, method: method.toUpperCase(), path, dependsOn: deps, clientRequestId: typeof crid === 'string' ? crid : undefined });
  }
  return items;
}

/**
 * Per-item faults of a `$batch`: faulted items are taken out of the batch and answered here (a
 * throttled item gets 429 and its own Retry-After), items depending on a failed one get 424, and
 * the rest go to the router. reset and truncated have no per-item form and are not applied to items.
 */
export function batchFaults(faults: FaultInjector, body: unknown, parentClientRequestId: string, nowMs: number): BatchFaults | undefined {
  const items = readItems(body);
  if (items === undefined) return undefined;
  const answers: BatchItemAnswer[] = [];
  const failed = new Set<string>();
  const answered = new Set<string>();
  let slowMs = 0;
  const envelope = (item: Item, code: string, message: string): unknown => ({
    error: { code, message, innerError: { date: graphDate(nowMs), 'request-id': randomUUID(), 'client-request-id': item.clientRequestId ?? parentClientRequestId } },
  });

  for (const item of items) {
    const key = item.id.toLowerCase();
    if (item.dependsOn.some((d) => failed.has(d.toLowerCase()))) {
      failed.add(key);
      answered.add(key);
      answers.push({ id: item.id, status: 424, headers: { 'Content-Type': ITEM_JSON }, body: envelope(item, 'FailedDependency', 'The request depends on a request in this batch that failed.') });
      continue;
    }
    const decision = faults.decideItem(item.method, item.path);
    if (decision === undefined) continue;
    slowMs = Math.max(slowMs, decision.slowMs);
    const kind = decision.kind;
    if (isErrorFault(kind)) {
      const e = FAULT_ERRORS[kind];
      const retry: Record<string, string> = kind === 'timeout' ? {} : { 'Retry-After': String(decision.retryAfterSec) };
      failed.add(key);
      answered.add(key);
      answers.push({ id: item.id, status: e.status, headers: { 'Content-Type': ITEM_JSON, ...retry }, body: envelope(item, e.code, e.message) });
    } else if (kind === 'wrongShape') {
      const wrong = wrongShapeBody(decision.wrongShapeBody);
      answered.add(key);
      answers.push({
        id: item.id,
        status: 200,
        headers: { 'Content-Type': wrong.contentType === 'html' ? 'text/html; charset=utf-8' : ITEM_JSON },
        body: wrong.contentType === 'html' ? wrong.text : (JSON.parse(wrong.text) as unknown),
      });
    }
  }
  if (answers.length === 0) return slowMs > 0 ? { body: body as Record<string, unknown>, answers, slowMs } : undefined;

  // Dependencies on items answered here are settled (failed ones were answered 424 above).
  const rest = items
    .filter((i) => !answered.has(i.id.toLowerCase()))
    .map((i) => {
      const deps = i.dependsOn.filter((d) => !answered.has(d.toLowerCase()));
      const { dependsOn: _drop, ...raw } = i.raw;
      return deps.length > 0 ? { ...raw, dependsOn: deps } : raw;
    });
  return { body: rest.length > 0 ? { ...(body as Record<string, unknown>), requests: rest } : undefined, answers, slowMs };
}
