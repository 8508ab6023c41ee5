import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import { batchFaults } from './faultBatch.js';
import { FAULT_ERRORS, isErrorFault, sleep, wrongShapeBody, type FaultDecision, type FaultInjector } from './faults.js';
import { BodyTooLargeError, closeAfterResponse, headerValue, readBody } from './httpIo.js';
import type { SigningKeys } from './identity/keys.js';
import { GRAPH_APP_ID } from './identity/scopeGrants.js';
import { accessTokenIssuer } from './identity/tokens.js';
import type { GraphCaller, GraphRequest, GraphResponse, Tenant } from './model.js';
import type { EmulatorStats } from './stats.js';

export type GraphRouter = (req: GraphRequest) => Promise<GraphResponse>;

export interface GraphGatewayOptions {
  tenant: Tenant;
  keys: SigningKeys;
  stats: EmulatorStats;
  router: GraphRouter;
  graphResource: string;
  authorityHost: string;
  clock: () => number;
  /** Graph rejects larger bodies; 4 MB is its documented request size limit. */
  bodyLimit?: number;
  /** Injects throttling, outages, resets and broken bodies per the current fault plan. */
  faults?: FaultInjector;
}

export type GraphHandler = (req: IncomingMessage, res: ServerResponse, url: URL, origin: string) => Promise<void>;

const ODATA_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const AGS_DIAGNOSTIC = JSON.stringify({
  ServerInfo: { DataCenter: 'Emulator', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: 'm365-copilot-emulator' },
});
const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

/** Graph's own failure, answered before (or instead of) the router. */
class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function asGatewayError(err: unknown, bodyLimit: number): GatewayError | undefined {
  if (err instanceof GatewayError) return err;
  if (err instanceof BodyTooLargeError) {
    return new GatewayError(413, 'RequestEntityTooLarge', `The request body exceeds the limit of ${bodyLimit} bytes.`);
  }
  return undefined;
}

export function isGraphPath(pathname: string): boolean {
  return /^\/(v1\.0|beta)(\/|$)/.test(pathname);
}

function graphDate(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/\.\d+Z$/, '');
}

function splitVersion(pathname: string): { version: 'v1.0' | 'beta'; path: string } {
  const match = /^\/(v1\.0|beta)(\/.*)?$/.exec(pathname);
  if (match === null) throw new GatewayError(404, 'BadRequest', 'Invalid version.');
  const version = match[1] === 'beta' ? 'beta' : 'v1.0';
  try {
    const path = (match[2] ?? '/')
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/');
    return { version, path };
  } catch {
    throw new GatewayError(400, 'BadRequest', 'The request URL contains an invalid percent-encoding.');
  }
}

function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(req, 'authorization') ?? '');
  return match?.[1];
}

function tokenFailure(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const claim = (err as { claim?: unknown }).claim;
  if (code === 'ERR_JWT_EXPIRED') return 'Lifetime validation failed, the token is expired.';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'aud') return 'Access token validation failure. Invalid audience.';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'iss') return 'Access token validation failure. Invalid issuer.';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'nbf') return 'Lifetime validation failed, the token is not yet valid.';
  if (code === 'ERR_JWS_INVALID' || code === 'ERR_JWT_INVALID') return 'IDX14100: JWT is not well formed.';
  return 'Access token validation failure.';
}

function callerFrom(payload: JWTPayload, tenantId: string): GraphCaller | undefined {
  if (payload['tid'] !== tenantId) return undefined;
  const appId = payload['appid'];
  if (typeof appId !== 'string') return undefined;
  const scp = payload['scp'];
  const roles = payload['roles'];
  if (typeof scp === 'string') {
    const userId = payload['oid'];
    const upn = payload['upn'] ?? payload['preferred_username'];
    if (typeof userId !== 'string' || typeof upn !== 'string') return undefined;
    return { kind: 'delegated', tenantId, userId, upn, appId, scopes: scp.split(' ').filter((s) => s.length > 0) };
  }
  if (Array.isArray(roles) && roles.every((r): r is string => typeof r === 'string')) {
    return { kind: 'app', tenantId, appId, roles };
  }
  return undefined;
}

function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new GatewayError(
      400,
      'BadRequest',
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
}

function throwIfErrorFault(fault: FaultDecision): void {
  if (!isErrorFault(fault.kind)) return;
  const e = FAULT_ERRORS[fault.kind];
  const retry: Record<string, string> = fault.kind === 'timeout' ? {} : { 'Retry-After': String(fault.retryAfterSec) };
  throw new GatewayError(e.status, e.code, e.message, retry);
}

/**
 * The Graph front door: what Graph itself does before a workload sees the request (token
 * validation, URL decoding, body parsing, request ids and standard headers), then the router.
 */
export function createGraphGateway(opts: GraphGatewayOptions): GraphHandler {
  const tenantId = opts.tenant.id;
  const issuer = accessTokenIssuer(tenantId);
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const challenge =
    `Bearer realm="", authorization_uri="${opts.authorityHost}/${tenantId}/oauth2/v2.0/authorize", ` +
    `client_id="${GRAPH_APP_ID}"`;

  async function authenticate(req: IncomingMessage): Promise<GraphCaller> {
    const token = bearerToken(req);
    const unauthorized = (message: string): GatewayError =>
      new GatewayError(401, 'InvalidAuthenticationToken', message, { 'WWW-Authenticate': challenge });
    if (token === undefined) throw unauthorized('Access token is empty.');
    let payload: JWTPayload;
    try {
      ({ payload } = await opts.keys.verifyGraphToken(token, { audience: opts.graphResource, issuer, nowMs: opts.clock() }));
    } catch (err) {
      throw unauthorized(tokenFailure(err));
    }
    const caller = callerFrom(payload, tenantId);
    if (caller === undefined) throw unauthorized('Access token validation failure. The token carries neither delegated scopes nor application roles of this tenant.');
    return caller;
  }

  /** `$batch` with rules naming item routes: faulted items are answered beside the router's. */
  async function routeWithItemFaults(req: GraphRequest, clientRequestId: string): Promise<GraphResponse> {
    const faults = opts.faults;
    const isBatch = req.method === 'POST' && /^\/\$batch\/?$/i.test(req.path);
    if (faults === undefined || !isBatch || !faults.hasNamedRoutes()) return opts.router(req);
    const planned = batchFaults(faults, req.body, clientRequestId, opts.clock());
    if (planned === undefined) return opts.router(req);
    if (planned.slowMs > 0) await sleep(planned.slowMs);
    if (planned.body === undefined) return { status: 200, route: 'POST /$batch', body: { responses: planned.answers } };
    const answer = await opts.router({ ...req, body: planned.body });
    const responses = (answer.body as { responses?: unknown } | undefined)?.responses;
    if (answer.status !== 200 || !Array.isArray(responses)) return answer;
    return { ...answer, body: { ...(answer.body as object), responses: [...(responses as unknown[]), ...planned.answers] } };
  }

  return async (req, res, url, origin) => {
    const requestId = randomUUID();
    const clientRequestId = headerValue(req, 'client-request-id') ?? requestId;
    const baseHeaders: Record<string, string> = {
      'request-id': requestId,
      'client-request-id': clientRequestId,
      'x-ms-ags-diagnostic': AGS_DIAGNOSTIC,
      'OData-Version': '4.0',
      'Cache-Control': 'no-cache',
    };
    const write = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
      const headers = { ...baseHeaders, ...extra, 'request-id': requestId, 'client-request-id': clientRequestId };
      if (body === undefined) {
        res.writeHead(status, headers);
        res.end();
        return;
      }
      // A string body is a non-JSON payload (a report's CSV) sent as is, with the route's Content-Type.
      if (typeof body === 'string') return writeText(status, body, extra['Content-Type'] ?? 'text/plain; charset=utf-8', extra);
      writeText(status, JSON.stringify(body), ODATA_JSON, extra);
    };
    const writeText = (status: number, text: string, contentType: string, extra: Record<string, string> = {}): void => {
      const payload = Buffer.from(text);
      const headers = { ...baseHeaders, ...extra, 'request-id': requestId, 'client-request-id': clientRequestId };
      res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': String(payload.length) });
      res.end(payload);
    };

    let route = 'unknown';
    let status = 500;
    opts.stats.graphRequestReceived();
    try {
      const { version, path } = splitVersion(url.pathname);
      const method = (req.method ?? 'GET').toUpperCase();
      const raw = await readBody(req, bodyLimit);
      const caller = await authenticate(req);
      const body = parseJsonBody(raw);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        // The caller is already resolved; keeping the bearer out means no route can log or echo it.
        if (value !== undefined && name !== 'authorization') headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const graphRequest: GraphRequest = { method, path, version, query: url.searchParams, headers, body, caller, requestId, baseUrl: origin };
      // Faults hit authenticated requests only, as Graph throttles after validating the token.
      const fault = opts.faults?.decide(method, path);
      if (fault !== undefined) {
        route = fault.route;
        if (fault.slowMs > 0) await sleep(fault.slowMs);
        if (fault.kind === 'reset') {
          status = 0;
          res.destroy();
          return;
        }
        if (fault.kind === 'wrongShape') {
          status = 200;
          const wrong = wrongShapeBody(fault.wrongShapeBody);
          return writeText(200, wrong.text, wrong.contentType === 'html' ? 'text/html; charset=utf-8' : ODATA_JSON);
        }
        throwIfErrorFault(fault);
      }
      const answer = await routeWithItemFaults(graphRequest, clientRequestId);
      route = answer.route || 'unknown';
      status = fault?.kind === 'truncated' ? 200 : answer.status;
      if (fault?.kind === 'truncated') {
        const full = JSON.stringify(answer.body ?? {});
        // A connection cut mid-body, as the client sees it: a complete response of half a document.
        return writeText(200, full.slice(0, Math.floor(full.length / 2)), ODATA_JSON);
      }
      write(answer.status, answer.body, answer.headers);
    } catch (err) {
      const failure = asGatewayError(err, bodyLimit);
      status = failure?.status ?? 500;
      if (res.headersSent) {
        res.destroy();
      } else {
        if (status === 413) closeAfterResponse(res);
        const error = {
          code: failure?.code ?? 'generalException',
          message: failure?.message ?? 'An unexpected error occurred in the emulator.',
          innerError: { date: graphDate(opts.clock()), 'request-id': requestId, 'client-request-id': clientRequestId },
        };
        write(status, { error }, failure?.headers);
      }
      // Anything else is an emulator bug: answered as Graph would, then reported.
      if (failure === undefined) throw err;
    } finally {
      opts.stats.graphRequest(route, status);
    }
  };
}
