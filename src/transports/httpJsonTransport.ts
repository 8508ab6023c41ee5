import type { AuthInfo, JSONRPCMessage, JSONRPCRequest, JSONRPCResponse, Transport, TransportSendOptions } from '@modelcontextprotocol/server';
import { isInitializeRequest, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';

type ScopeChallengeResolver = (context: { request: JSONRPCRequest; authInfo?: AuthInfo }) => unknown;

/**
 * A Transport for one JSON-RPC request answered by one JSON response, with no web Request or
 * Response in between (issue 17: the SDK's NodeStreamableHTTPServerTransport wraps its web-standard
 * transport in a Node→web→Node adapter, which was the largest SDK cost of a tool call we could avoid).
 *
 * It does what WebStandardStreamableHTTPServerTransport does for a stateless POST with
 * `enableJsonResponse` once the request has passed the checks httpMcpExchange.ts makes (one request
 * with an id, JSON content type, both types accepted, a 2025-era classification): the same protocol
 * version check, the same scope-challenge check, the same message to the server, and the same
 * answer (the one response, as sent, status 200). What it does not reproduce it declines
 * (`'decline'`) before the server sees the message, so the caller hands the request to the SDK's own
 * transport, which answers it as it always did: an unsupported MCP-Protocol-Version, a scope challenge.
 * Messages the server sends on the way (notifications, requests to the client) are dropped, as the
 * SDK's JSON mode drops them; the exchange only takes requests that ask for none.
 */
export class HttpJsonTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  private supportedVersions: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;
  private scopeChallenge: ScopeChallengeResolver | undefined;
  private requestId: JSONRPCRequest['id'] | undefined;
  private answered: ((response: JSONRPCResponse | undefined) => void) | undefined;
  private closed = false;

  async start(): Promise<void> {}

  /** Called by the server as it connects: what the MCP-Protocol-Version header may name. */
  setSupportedProtocolVersions(versions: string[]): void {
    this.supportedVersions = versions;
  }

  /** Called by McpServer as it connects; a tool or resource with a scope challenge gets the SDK's 403. */
  setScopeChallengeResolver(resolver: ScopeChallengeResolver): void {
    this.scopeChallenge = resolver;
  }

  /**
   * Delivers the request and resolves with the server's response, undefined when the transport was
   * closed first (the client went away), or 'decline' when the SDK's transport must answer instead.
   */
  async exchange(request: JSONRPCRequest, protocolVersionHeader: string | undefined, authInfo: AuthInfo): Promise<JSONRPCResponse | undefined | 'decline'> {
    // initialize is exempt (it negotiates the version); asked last, as the SDK's check is a schema parse.
    if (protocolVersionHeader !== undefined && !this.supportedVersions.includes(protocolVersionHeader) && !isInitializeRequest(request)) return 'decline';
    if (this.scopeChallenge && (await this.scopeChallenge({ request, authInfo })) !== undefined) return 'decline';
    if (this.closed) return undefined;
    this.requestId = request.id;
    const answer = new Promise<JSONRPCResponse | undefined>((resolve) => (this.answered = resolve));
    this.onmessage?.(request, { authInfo });
    return answer;
  }

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed || !('id' in message) || message.id !== this.requestId || !('result' in message || 'error' in message)) return;
    const answered = this.answered;
    this.answered = undefined;
    answered?.(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.answered?.(undefined);
    this.answered = undefined;
    this.onclose?.();
  }
}
