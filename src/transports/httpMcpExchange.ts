import type { IncomingMessage, ServerResponse } from 'node:http';
import { classifyInboundRequest, isJsonContentType, type AuthInfo, type McpServer } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';

/**
 * The one seam between our HTTP server and the SDK's per-request serving (issue 17). Every SDK detail
 * the fast path relies on is here, so an SDK upgrade touches this file only:
 * - `classifyInboundRequest` (the SDK's own era classifier behind `createMcpHandler` and
 *   `isLegacyRequest`), called with the headers and the body we already parsed, so no web Request is built;
 * - `NodeStreamableHTTPServerTransport` stateless (`sessionIdGenerator: undefined`) with
 *   `enableJsonResponse: true`, which is what `createMcpHandler`'s legacy fallback builds, minus the
 *   SSE framing of a single answer and the Node→web→Node round trip of the handler face.
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

export function createHttpMcpExchange(opts: HttpMcpExchangeOptions): (req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body: unknown) => Promise<void> {
  return async (req, res, body) => {
    if (!req.auth || !takesJsonFastPath(req, body)) return opts.sdk(req, res, body);
    const server = await opts.buildLegacyServer(req, req.auth);
    // A server that declares `logging` may send log notifications in any call, progress asked or not:
    // those need the event stream, so it is served by the SDK (the conformance fixtures do this; our tools do not).
    if (server.server.getCapabilities().logging !== undefined) {
      await server.close();
      return opts.sdk(req, res, body);
    }
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    // Torn down once the answer has gone (or the client left), as the SDK's fallback does.
    res.once('close', () => {
      transport.close().catch((err: Error) => opts.onerror(err));
      server.close().catch((err: Error) => opts.onerror(err));
    });
    await transport.handleRequest(req, res, body);
  };
}
