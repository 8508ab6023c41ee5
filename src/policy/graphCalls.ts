import { AsyncLocalStorage } from 'node:async_hooks';

/** One Graph exchange as the audit log keeps it: no URL query, no body, no headers besides the request-id. */
export interface GraphCallRecord {
  method: string;
  /** Path without the query string (a nextLink's skip token is an opaque cursor, not audit material), at most 256 characters. */
  path: string;
  /** The route template, e.g. GET /copilot/users/{id}/…: what to group and count by. */
  route?: string;
  /** HTTP status; 0 when no answer came back (connection reset, timeout). */
  status: number;
  requestId?: string;
  /** Set for an item of a $batch: its id inside the batch. */
  batchItem?: string;
}

/** Keeps a runaway paging loop from turning one audit record into megabytes. */
const MAX_CALLS_PER_TOOL_CALL = 500;
/**
 * A path carries ids a caller chose (a UPN): bounded, so huge ones cannot push other records out of
 * the rotated log (70 requests with a 240 KB UPN rotated an admin's export record away).
 */
const MAX_PATH_CHARS = 256;

const scope = new AsyncLocalStorage<GraphCallRecord[]>();

/**
 * Runs `fn` with a fresh list that every Graph exchange made on its behalf (across awaits, retries
 * and $batch items) is appended to. AsyncLocalStorage, so tools and the Graph client need not pass
 * anything around, and concurrent tool calls never see each other's calls.
 */
export async function collectGraphCalls<T>(calls: GraphCallRecord[], fn: () => Promise<T>): Promise<T> {
  return scope.run(calls, fn);
}

/** The Graph client's `onExchange` hook: a no-op outside a tool call. */
export function recordGraphCall(call: GraphCallRecord): void {
  const calls = scope.getStore();
  if (!calls || calls.length >= MAX_CALLS_PER_TOOL_CALL) return;
  const path = call.path.split('?')[0] ?? call.path;
  calls.push({
    method: call.method,
    path: path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path,
    ...(call.route ? { route: call.route } : {}),
    status: call.status,
    ...(call.requestId ? { requestId: call.requestId } : {}),
    ...(call.batchItem ? { batchItem: call.batchItem } : {}),
  });
}
