import type { ExchangeReport } from '../graph/transport.js';

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

/**
 * The sink for one tool call's Graph exchanges (across awaits, retries and $batch items): the call's
 * Graph clients hand it to every request they send (server/boundGraph.ts), so concurrent tool calls
 * never see each other's calls.
 */
export function graphCallRecorder(calls: GraphCallRecord[]): (report: ExchangeReport) => void {
  return (call) => {
    if (calls.length >= MAX_CALLS_PER_TOOL_CALL) return;
    const path = call.path.split('?')[0] ?? call.path;
    calls.push({
      method: call.method,
      path: path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path,
      ...(call.route ? { route: call.route } : {}),
      status: call.status,
      ...(call.requestId ? { requestId: call.requestId } : {}),
      ...(call.batchItem ? { batchItem: call.batchItem } : {}),
    });
  };
}
