import type { IncomingMessage, ServerResponse } from 'node:http';
import { classifyInboundRequest, isJsonContentType, parseJSONRPCMessage, type AuthInfo, type JSONRPCMessage, type JSONRPCRequest, type McpServer } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { HttpJsonTransport } from './httpJsonTransport.js';

/**
 * The one seam between our HTTP server and the SDK's per-request serving (issue 17). Every SDK detail
 * the fast path relies on is here, so an SDK upgrade touches this file only:
 * - `classifyInboundRequest` (the SDK's own era classifier behind `createMcpHandler` and
 *   `isLegacyRequest`), called with the headers and the body we already parsed, so no web Request is built;
 * - `parseJSONRPCMessage` (the schema the SDK's transport parses a POST body with) and the SDK's
 *   `Transport` contract, which HttpJsonTransport implements for one request and one JSON answer,
 *   written straight to the Node response: no web Request, no web Response, no SSE framing;
 * - `NodeStreamableHTTPServerTransport` stateless (`sessionIdGenerator: undefined`) with
 *   `enableJsonResponse: true`, which is what `createMcpHandler`'s legacy fallback builds minus the
 *   SSE framing, for what HttpJsonTransport declines (an unsupported protocol version header, a
 *   scope challenge, a body its schema refuses), so those refusals stay the SDK's own.
 *
 * The fast path takes only what cannot need a stream: one 2025-era JSON-RPC request (with an id) that
 * asks for no progress (`_meta.progressToken` absent; our tools send notifications only then, see
 * buildServer). The spec lets a server answer such a POST with `Content-Type: application/json` when
 * the client accepts both (Streamable HTTP, "Sending Messages to the Server"). Everything else —
 * 2026-07-28 traffic, notifications, batches, progress — goes to the SDK handler unchanged.
 */
export type ServeWithSdk = (req: IncomingMessage, res: ServerResponse, body: unknown) => Promise<void>;

export interface HttpMcpExchangeOptions {
  /** A fresh server for one 2025-era request (our buildServer with the request's surface and runtime). */
  buildLegacyServer(req: IncomingMessage, auth: AuthInfo): McpServer | Promise<McpServer>;
  /** The SDK's whole handler (createMcpHandler + toNodeHandler), for every request the fast path does not take. */
  sdk: ServeWithSdk;
  onerror(err: Error): void;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Whether a single answer can be plain JSON: one request, 2025 era, no progress asked, JSON accepted (and, checked once the server is built, no `logging` capability). */
export function takesJsonFastPath(req: IncomingMessage, body: unknown): boolean {
  if (req.method !== 'POST' || !body || typeof body !== 'object' || Array.isArray(body)) return false;
  const message = body as { id?: unknown; method?: unknown; params?: { _meta?: Record<string, unknown> } };
  if (typeof message.method !== 'string' || (typeof message.id !== 'string' && typeof message.id !== 'number')) return false;
  if (message.params?._meta?.['progressToken'] !== undefined) return false;
  if (!isJsonContentType(header(req, 'content-type') ?? null)) return false;
  const accept = header(req, 'accept') ?? '';
  // The transport itself refuses (406) a POST that does not accept both; leave those to it via the SDK path.
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return false;
  const protocolVersionHeader = header(req, 'mcp-protocol-version');
  const mcpMethodHeader = header(req, 'mcp-method');
  const mcpNameHeader = header(req, 'mcp-name');
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    ...(protocolVersionHeader !== undefined ? { protocolVersionHeader } : {}),
    ...(mcpMethodHeader !== undefined ? { mcpMethodHeader } : {}),
    ...(mcpNameHeader !== undefined ? { mcpNameHeader } : {}),
    body,
  });
  return outcome.kind === 'legacy';
}

/** The SDK's own JSON answer (its transport in JSON mode): for what HttpJsonTransport declines. */
async function serveWithSdkTransport(server: McpServer, req: IncomingMessage, res: ServerResponse, body: unknown, onerror: (err: Error) => void): Promise<void> {
  const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  // Torn down once the answer has gone (or the client left), as the SDK's fallback does.
  res.once('close', () => {
    transport.close().catch(onerror);
    server.close().catch(onerror);
  });
  await transport.handleRequest(req, res, body);
}

function sendJsonRpc(res: ServerResponse, message: JSONRPCMessage): void {
  const text = JSON.stringify(message);
  // The headers the SDK's JSON answer goes out with (Response.json through its Node adapter).
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function createHttpMcpExchange(opts: HttpMcpExchangeOptions): (req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body: unknown) => Promise<void> {
  return async (req, res, body) => {
    if (!req.auth || !takesJsonFastPath(req, body)) return opts.sdk(req, res, body);
    const auth = req.auth;
    const server = await opts.buildLegacyServer(req, auth);
    // A server that declares `logging` may send log notifications in any call, progress asked or not:
    // those need the event stream, so it is served by the SDK (the conformance fixtures do this; our tools do not).
    if (server.server.getCapabilities().logging !== undefined) {
      await server.close();
      return opts.sdk(req, res, body);
    }
    let request: JSONRPCRequest;
    try {
      // The message exactly as the SDK's transport would deliver it (its schema's output, not the raw body).
      request = parseJSONRPCMessage(body) as JSONRPCRequest;
    } catch {
      return serveWithSdkTransport(server, req, res, body, opts.onerror);
    }
    const transport = new HttpJsonTransport();
    await server.connect(transport);
    // The client left before the answer: closing aborts the handler's signal (its Graph calls stop).
    // Once answered there is nothing left to tear down: the server and transport are dropped, not
    // closed (closing built an error object per request for handlers that had all finished).
    const left = () => {
      transport.close().catch(opts.onerror);
      server.close().catch(opts.onerror);
    };
    res.once('close', left);
    const answer = await transport.exchange(request, header(req, 'mcp-protocol-version'), auth);
    if (answer === 'decline') {
      res.off('close', left);
      await server.close();
      return serveWithSdkTransport(await opts.buildLegacyServer(req, auth), req, res, body, opts.onerror);
    }
    if (answer === undefined || res.destroyed) return;
    res.off('close', left);
    sendJsonRpc(res, answer);
  };
}
