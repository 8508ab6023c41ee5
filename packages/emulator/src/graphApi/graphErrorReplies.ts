import type { GraphRequest, GraphResponse } from '../model.js';

export interface GraphErrorOptions {
  headers?: Record<string, string>;
  /** Extra innerError fields, e.g. Graph's throttling answer carries code and status there. */
  innerError?: Record<string, string>;
}

/** Graph's timestamp style in innerError: seconds precision, no zone designator. */
export function graphDate(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/\.\d+Z$/, '');
}

/** The Graph error envelope (contract §5.2), with the request ids echoed in innerError. */
export function graphError(
  req: GraphRequest,
  nowMs: number,
  route: string,
  status: number,
  code: string,
  message: string,
  options: GraphErrorOptions = {},
): GraphResponse {
  return {
    status,
    route,
    ...(options.headers ? { headers: options.headers } : {}),
    body: {
      error: {
        code,
        message,
        innerError: {
          ...options.innerError,
          date: graphDate(nowMs),
          'request-id': req.requestId,
          'client-request-id': req.headers['client-request-id'] ?? req.requestId,
        },
      },
    },
  };
}

/** Binds the request, clock and route template so handlers read as a list of checks. */
export interface Reply {
  ok(body: unknown, headers?: Record<string, string>): GraphResponse;
  error(status: number, code: string, message: string, options?: GraphErrorOptions): GraphResponse;
}

export function replyFor(req: GraphRequest, clock: () => number, route: string): Reply {
  return {
    ok: (body, headers) => ({ status: 200, route, body, ...(headers ? { headers } : {}) }),
    error: (status, code, message, options) => graphError(req, clock(), route, status, code, message, options),
  };
}
