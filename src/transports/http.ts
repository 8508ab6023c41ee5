import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  bearerAuthChallengeResponse,
  createMcpHandler,
  oauthMetadataResponse,
  verifyBearerToken,
  type AuthInfo,
  type AuthMetadataOptions,
} from '@modelcontextprotocol/server';
import { hostHeaderValidation, originValidation, toNodeHandler } from '@modelcontextprotocol/node';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { buildServer } from '../server/buildServer.js';
import type { ServerRuntime, ServerSurface } from '../server/runtime.js';
import { context } from '@opentelemetry/api';
import { startMcpRequestSpan, type McpRequestFacts } from '../telemetry/tracing.js';
import { narrowForRequest } from '../tools/selection.js';
import type { EntraTokenVerifier } from './bearer/entraTokenVerifier.js';
import { protectedResourceMetadataUrl } from './httpAuthMetadata.js';
import { advertisedResource, type AdvertisedResource } from './resourceUrl.js';
import { createHttpMcpExchange } from './httpMcpExchange.js';

export const MCP_PATH = '/mcp';
const LOCAL_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

export interface HttpServerOptions {
  host: string;
  port: number;
  /** The MCP endpoint as clients reach it (behind a proxy); defaults to http://host:port/mcp. */
  publicUrl?: string;
  surface: ServerSurface;
  /** The per-request runtime for the verified bearer token: its caller's identity and on-behalf-of Graph tokens. */
  runtimeFor(token: string): ServerRuntime;
  verifier: EntraTokenVerifier;
  /** Bare delegated scope every token must carry in `scp`, e.g. access_as_user. */
  requiredScope: string;
  /**
   * Called once the resource URL is known (after listening, for --port 0): the discovery documents and
   * the full scope (`<identifier URI>/access_as_user`) that challenges name.
   */
  forResource: (resource: AdvertisedResource) => { metadata: AuthMetadataOptions; challengeScope: string };
  maxRequestBytes: number;
  /** A client must have sent its request headers within this long (slow-header sockets are closed). */
  headersTimeoutMs: number;
  /** Most open connections; more are refused until some close. */
  maxConnections: number;
  /** Named checks for /readyz, each true when its dependency is usable; from cached state, never a round trip per probe. */
  readiness: () => Record<string, boolean>;
  log: Logger;
}

export interface RunningHttpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:3000/mcp */
  url: string;
  port: number;
  /**
   * Drains: answers new requests 503 (and /readyz 503) for drainMs while still listening, so a
   * balancer takes the instance out before its port closes; then stops accepting, lets in-flight
   * requests finish until graceMs (counted from the start) is over, then drops what is left.
   */
  close(graceMs?: number, drainMs?: number): Promise<void>;
}

/** Writes a web Response (from the SDK's auth helpers) to a Node response. */
async function sendWeb(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A port in use or an address this machine does not have is a setting to change, not a crash. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): unknown {
  const where = `${host}:${port}`;
  if (err.code === 'EADDRINUSE')
    return new AppError('ConfigInvalid', `cannot listen on ${where}: the port is in use`, { cause: err, nextStep: 'Choose another --port (0 picks a free one), or stop the process that holds it.' });
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
    return new AppError('ConfigInvalid', `cannot listen on ${where}: this machine has no such address`, { cause: err, nextStep: 'Fix --host (127.0.0.1 for this machine only, 0.0.0.0 for every interface).' });
  if (err.code === 'EACCES')
    return new AppError('ConfigInvalid', `cannot listen on ${where}: permission denied`, { cause: err, nextStep: 'Use a --port above 1023, or run with the privilege to bind low ports.' });
  return err;
}

/**
 * JSON-RPC batches were removed from MCP in the 2025-06-18 revision (and stay out of 2025-11-25
 * and 2026-07-28); only a client speaking an older revision may send an array.
 */
const LAST_ERA_WITH_BATCHES = '2025-03-26';

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', id: null, error: { code, message } });
}

/**
 * The request's bytes, by 'data' events (an async iterator over the request cost more than the rest of
 * the body handling); 'tooLarge' as soon as they pass maxBytes. A request that fails or is aborted
 * midway rejects (the caller's crash handler answers 500 or drops the socket).
 */
function readBytes(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'tooLarge'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        resolve('tooLarge');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    // Closed before its end: the client went away midway (as the async iterator's premature close was).
    const onClose = () => onError(new Error('the request closed before its body was complete'));
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/**
 * The body, read here (not by the SDK) so that every refusal has a JSON-RPC body that says why: too
 * large (413), not JSON (-32700), a batch in an era without batches (-32600). Undefined when refused.
 */
async function readJsonBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<{ body: unknown } | undefined> {
  const declared = Number(req.headers['content-length']);
  const tooLarge = () => jsonRpcError(res, 413, -32600, `Request body too large: this server accepts at most ${maxBytes} bytes (--max-request-bytes)`);
  if (Number.isFinite(declared) && declared > maxBytes) {
    tooLarge();
    req.resume();
    return undefined;
  }
  const raw = await readBytes(req, maxBytes);
  if (raw === 'tooLarge') {
    tooLarge();
    req.destroy();
    return undefined;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    jsonRpcError(res, 400, -32700, 'Parse error: the request body is not JSON');
    return undefined;
  }
  const era = String(req.headers['mcp-protocol-version'] ?? '');
  if (Array.isArray(body) && era > LAST_ERA_WITH_BATCHES) {
    jsonRpcError(res, 400, -32600, `Invalid Request: JSON-RPC batches are not part of MCP ${era} (removed in 2025-06-18); send one message per request`);
    return undefined;
  }
  return { body };
}

/** Header names a client narrows its request's tools with (github-mcp-server style); values are comma-separated names. */
export const TOOLSETS_HEADER = 'x-mcp-toolsets';
export const TOOLS_HEADER = 'x-mcp-tools';

function namesIn(value: string | string[] | null | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.split(',').map((n) => n.trim()).filter(Boolean);
}

/**
 * The surface one request is offered: the server's, narrowed by the request's own headers (never by
 * URL path: every distinct path would be a distinct OAuth protected resource). Throws AppError for
 * names the server does not offer.
 */
function requestSurface(surface: ServerSurface, header: (name: string) => string | string[] | null | undefined): ServerSurface {
  const narrowing = { toolsets: namesIn(header(TOOLSETS_HEADER)), tools: namesIn(header(TOOLS_HEADER)) };
  const tools = narrowForRequest(surface.tools, narrowing);
  return tools === surface.tools ? surface : { ...surface, tools };
}

/** The JSON-RPC id of a single request, so a refusal can answer it; null for batches and unparsable bodies. */
function requestId(body: unknown): string | number | null {
  const id = body && typeof body === 'object' && !Array.isArray(body) ? (body as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** What the MCP semantic conventions record of one JSON-RPC request body (never its arguments). */
function mcpFacts(body: unknown, protocolHeader: string | string[] | undefined): McpRequestFacts | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { method, id, params } = body as { method?: unknown; id?: unknown; params?: Record<string, unknown> };
  if (typeof method !== 'string') return undefined;
  const meta = params?.['_meta'] as Record<string, unknown> | undefined;
  const version = (typeof protocolHeader === 'string' ? protocolHeader : undefined) ?? (meta?.['io.modelcontextprotocol/protocolVersion'] as string | undefined);
  return {
    method,
    transport: 'tcp',
    ...(typeof id === 'string' || typeof id === 'number' ? { requestId: id } : {}),
    ...(method === 'tools/call' && typeof params?.['name'] === 'string' ? { toolName: params['name'] } : {}),
    ...(method === 'resources/read' && typeof params?.['uri'] === 'string' ? { resourceUri: params['uri'] } : {}),
    ...(typeof version === 'string' ? { protocolVersion: version } : {}),
    meta,
  };
}

function webRequest(path: string, origin: string, method: string | undefined): Request {
  return new Request(new URL(path, origin), { method: method ?? 'GET' });
}

/**
 * Streamable HTTP for many users: both protocol eras from one factory, stateless so any instance can
 * answer any request. Every /mcp request passes Host and Origin checks and the bearer gate BEFORE its
 * body is read or any Graph or on-behalf-of traffic happens.
 */
export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const log = opts.log;
  let inFlight = 0;
  let draining = false;
  const idle: Array<() => void> = [];

  const mcp = createMcpHandler(
    (ctx) => {
      // The gate runs first; a request without a verified token never reaches the factory.
      if (!ctx.authInfo) throw new Error('MCP request without a verified bearer token');
      // The headers were checked before the request got here, so this cannot refuse.
      const surface = ctx.requestInfo ? requestSurface(opts.surface, (name) => ctx.requestInfo!.headers.get(name)) : opts.surface;
      return buildServer(surface, opts.runtimeFor(ctx.authInfo.token), ctx.era, { signInRounds: false });
    },
    { onerror: (err) => log.debug('mcp handler reported', { error: err.message }) },
  );
  const nodeMcp = toNodeHandler(mcp, { maxRequestBodySize: opts.maxRequestBytes, onerror: (err) => log.warn('mcp request failed', { error: err.message }) });
  // 2025-era single requests that ask for no progress are answered as plain JSON past the SDK's handler
  // face; everything else goes through it (see httpMcpExchange.ts, the one seam on SDK internals).
  const exchange = createHttpMcpExchange({
    sdk: (req, res, body) => nodeMcp(req, res, body),
    buildLegacyServer: (req, auth) => buildServer(requestSurface(opts.surface, (name) => req.headers[name]), opts.runtimeFor(auth.token), 'legacy', { signInRounds: false }),
    onerror: (err) => log.debug('mcp exchange teardown reported', { error: err.message }),
  });

  // Bounded time to send headers and a whole request, and a bounded number of sockets: a client that
  // opens connections and trickles bytes cannot hold the server's sockets (400 stayed open 66 s).
  // Node checks those deadlines every connectionsCheckingInterval (30 s by default): often enough to keep them.
  const server = createServer({
    headersTimeout: opts.headersTimeoutMs,
    requestTimeout: Math.max(opts.headersTimeoutMs, 30_000),
    connectionsCheckingInterval: Math.min(1000, opts.headersTimeoutMs),
  });
  server.maxConnections = opts.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, opts.host, opts.port)));
    server.listen(opts.port, opts.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const listenHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const resource = advertisedResource(opts.publicUrl ?? `http://${listenHost}:${port}${MCP_PATH}`, MCP_PATH);
  const resourceUrl = new URL(resource.id);
  const { metadata: metadataOptions, challengeScope } = opts.forResource(resource);
  const resourceMetadataUrl = protectedResourceMetadataUrl(resourceUrl);
  // The token check reads the bare name in `scp`; the challenge names the full scope a client must
  // request (Entra reads a bare `access_as_user` as a Microsoft Graph permission: AADSTS70011).
  const gateOptions = { verifier: opts.verifier, requiredScopes: [opts.requiredScope], resourceMetadataUrl };
  const challengeOptions = { requiredScopes: [challengeScope], resourceMetadataUrl };
  // Behind a proxy that keeps the public path (/tools/mcp) or strips it (/mcp): both reach the endpoint.
  const mcpPaths = new Set([MCP_PATH, resource.path]);
  const metadataPaths = new Set([...mcpPaths].map((p) => `/.well-known/oauth-protected-resource${p}`));
  const publicMetadataPath = new URL(resourceMetadataUrl).pathname;
  // DNS-rebinding protection: loopback names always; the public host when one is configured.
  const allowedHosts = [...LOCAL_HOSTNAMES, ...(opts.publicUrl ? [resourceUrl.hostname] : []), ...(LOCAL_HOSTNAMES.includes(opts.host) ? [] : [opts.host])];
  const checkHost = hostHeaderValidation(allowedHosts);
  const checkOrigin = originValidation(allowedHosts);
  const selfOrigin = `http://${listenHost}:${port}`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (!checkHost(req, res) || !checkOrigin(req, res)) return;
    if (path === '/readyz') {
      const checks = opts.readiness();
      const ready = !draining && Object.values(checks).every(Boolean);
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', draining, checks });
    }
    if (path.startsWith('/.well-known/')) {
      // The SDK answers at the public path; a proxy that strips the prefix sends the local one.
      const asked = metadataPaths.has(path) ? publicMetadataPath : path;
      const answer = oauthMetadataResponse(webRequest(asked, selfOrigin, req.method), metadataOptions);
      if (answer) return sendWeb(res, answer);
      return sendJson(res, 404, { error: 'not_found' });
    }
    if (!mcpPaths.has(path)) return sendJson(res, 404, { error: 'not_found', message: `The MCP endpoint is ${resource.path}` });
    if (draining) {
      res.setHeader('connection', 'close');
      return sendJson(res, 503, { jsonrpc: '2.0', error: { code: -32000, message: 'Server is shutting down; retry on another instance' }, id: null });
    }
    let auth: AuthInfo;
    try {
      auth = await verifyBearerToken(req.headers.authorization, gateOptions);
    } catch (err) {
      log.info('bearer refused', { reason: (err as Error).message });
      return sendWeb(res, bearerAuthChallengeResponse(err, challengeOptions));
    }
    (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
    const parsed = req.method === 'POST' ? await readJsonBody(req, res, opts.maxRequestBytes) : { body: undefined };
    if (!parsed) return;
    try {
      requestSurface(opts.surface, (name) => req.headers[name]);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const message = `Invalid params: ${err.message}. ${err.nextStep ?? ''}`.trim();
      return sendJson(res, 400, { jsonrpc: '2.0', id: requestId(parsed.body), error: { code: -32602, message, data: { code: err.code } } });
    }
    if (req.method !== 'POST') return nodeMcp(req, res);
    const facts = mcpFacts(parsed.body, req.headers['mcp-protocol-version']);
    if (!facts) return exchange(req, res, parsed.body);
    // One span per MCP request, continuing the client's trace from _meta; it ends when the answer has gone out.
    const span = startMcpRequestSpan(facts);
    res.once('close', () => span.end(res.statusCode >= 400 ? String(res.statusCode) : undefined));
    await context.with(span.context, () => exchange(req, res, parsed.body));
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) idle.splice(0).forEach((wake) => wake());
    });
    handle(req, res).catch((err: unknown) => {
      log.error('http request crashed (bug)', { error: err, stack: (err as Error)?.stack });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      else res.destroy();
    });
  });

  let closing: Promise<void> | undefined;
  return {
    url: resource.id,
    port,
    close(graceMs = 10_000, drainMs = 0) {
      closing ??= (async () => {
        draining = true;
        const deadline = Date.now() + graceMs;
        // Still listening: a request that reaches us now gets a 503 it may resend elsewhere, not a reset.
        if (drainMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, Math.min(drainMs, graceMs)).unref());
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          await Promise.race([new Promise<void>((resolve) => idle.push(resolve)), new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
        }
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
