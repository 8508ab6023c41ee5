import { randomUUID } from 'node:crypto';
import type { GraphRequest, GraphResponse } from '../model.js';
import type { RouteHandler } from './routeContext.js';
import { graphError, replyFor } from './graphErrorReplies.js';

export const BATCH_ROUTE = 'POST /$batch';
export const MAX_BATCH_REQUESTS = 20;

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const ITEM_CONTENT_TYPE = 'application/json; charset=utf-8';

interface BatchItem {
  id: string;
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

/**
 * JSON batching (contract §5.4). Items run concurrently unless they depend on another; an item
 * whose dependency failed gets 424. Answers come back in a different order from the requests
 * (rotated by one), so clients must match them by id, as Graph requires.
 */
export const batchHandler: RouteHandler = async (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, BATCH_ROUTE);
  const items = parseBatch(req.body);
  if (typeof items === 'string') return reply.error(400, 'BadRequest', items);

  const byId = new Map<string, Promise<GraphResponse>>();
  const run = async (item: BatchItem): Promise<GraphResponse> => {
    const dependencies = await Promise.all(item.dependsOn.map((id) => byId.get(id.toLowerCase()) as Promise<GraphResponse>));
    const sub = subRequest(req, item);
    if (dependencies.some((d) => d.status >= 400)) {
      return graphError(sub, ctx.clock(), BATCH_ROUTE, 424, 'FailedDependency', 'The request depends on a request in this batch that failed.');
    }
    try {
      return await ctx.dispatch(sub);
    } catch {
      return graphError(sub, ctx.clock(), BATCH_ROUTE, 500, 'generalException', 'An unexpected error occurred in the emulator.');
    }
  };
  for (const item of items) byId.set(item.id.toLowerCase(), run(item));

  const answers = await Promise.all(
    items.map(async (item) => {
      const res = await (byId.get(item.id.toLowerCase()) as Promise<GraphResponse>);
      const headers: Record<string, string> = { ...(res.body === undefined ? {} : { 'Content-Type': ITEM_CONTENT_TYPE }), ...res.headers };
      return { id: item.id, status: res.status, headers, ...(res.body === undefined ? {} : { body: res.body }) };
    }),
  );
  const responses = answers.length > 1 ? [...answers.slice(1), answers[0]] : answers;
  return reply.ok({ responses });
};

/** The batch's items, or the reason the whole batch is a 400. */
function parseBatch(body: unknown): BatchItem[] | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'Invalid batch payload format: expected a JSON object with a requests array.';
  const requests = (body as Record<string, unknown>)['requests'];
  if (!Array.isArray(requests)) return 'Invalid batch payload format: the requests array is missing.';
  if (requests.length === 0) return 'The batch contains no requests.';
  if (requests.length > MAX_BATCH_REQUESTS) return `The batch contains ${requests.length} requests; the limit is ${MAX_BATCH_REQUESTS}.`;

  const seen = new Set<string>();
  const items: BatchItem[] = [];
  for (const [index, raw] of requests.entries()) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return `Request ${index + 1} of the batch is not an object.`;
    const r = raw as Record<string, unknown>;
    const id = r['id'];
    if (typeof id !== 'string' || id.trim() === '') return `Request ${index + 1} of the batch has no id; every request needs a unique string id.`;
    const key = id.toLowerCase();
    if (seen.has(key)) return `Batch request ids must be unique (case-insensitively); '${id}' appears more than once.`;
    seen.add(key);

    const method = r['method'];
    if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) return `Request '${id}' has a missing or unsupported method.`;
    const url = parseItemUrl(r['url']);
    if (typeof url === 'string') return `Request '${id}': ${url}`;

    const headers: Record<string, string> = {};
    const rawHeaders = r['headers'];
    if (rawHeaders !== undefined && rawHeaders !== null) {
      if (typeof rawHeaders !== 'object' || Array.isArray(rawHeaders)) return `Request '${id}': headers must be an object.`;
      for (const [name, value] of Object.entries(rawHeaders)) {
        if (typeof value === 'string') headers[name.toLowerCase()] = value;
      }
    }
    if (r['body'] !== undefined && headers['content-type'] === undefined) {
      return `Request '${id}' has a body but no Content-Type header; a batch request with a body must set headers.Content-Type.`;
    }

    const dependsOnRaw = r['dependsOn'];
    const dependsOn: string[] = [];
    if (dependsOnRaw !== undefined && dependsOnRaw !== null) {
      if (!Array.isArray(dependsOnRaw) || !dependsOnRaw.every((d): d is string => typeof d === 'string')) return `Request '${id}': dependsOn must be an array of request ids.`;
      for (const d of dependsOnRaw) {
        // Only earlier requests may be depended on, which also rules out cycles.
        if (!seen.has(d.toLowerCase()) || d.toLowerCase() === key) return `Request '${id}' depends on '${d}', which is not an earlier request of this batch.`;
        dependsOn.push(d);
      }
    }
    items.push({ id, method: method.toUpperCase(), url, headers, body: r['body'], dependsOn });
  }
  return items;
}

function parseItemUrl(raw: unknown): URL | string {
  if (typeof raw !== 'string' || raw.trim() === '') return 'the url is missing.';
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('//')) return 'the url must be relative to the version, e.g. /copilot/retrieval.';
  let url: URL;
  try {
    url = new URL(raw.startsWith('/') ? raw : `/${raw}`, 'https://batch.invalid');
  } catch {
    return 'the url is not valid.';
  }
  const first = url.pathname.split('/')[1]?.toLowerCase();
  if (first === 'v1.0' || first === 'beta') return 'the url must not include the version segment.';
  if (first === '$batch' || first === '%24batch') return 'a batch cannot contain another $batch request.';
  return url;
}

function subRequest(parent: GraphRequest, item: BatchItem): GraphRequest {
  const clientRequestId = item.headers['client-request-id'] ?? parent.headers['client-request-id'] ?? parent.requestId;
  return {
    method: item.method,
    path: item.url.pathname
      .split('/')
      .map((segment) => {
        try {
          return decodeURIComponent(segment);
        } catch {
          return segment;
        }
      })
      .join('/'),
    version: parent.version,
    query: item.url.searchParams,
    headers: { ...item.headers, 'client-request-id': clientRequestId },
    body: item.body,
    caller: parent.caller,
    requestId: randomUUID(),
    baseUrl: parent.baseUrl,
  };
}
