import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createMcpHandler, McpServer, type AuthInfo } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import { createHttpMcpExchange } from '../../src/transports/httpMcpExchange.js';

/**
 * The JSON exchange (src/transports/httpJsonTransport.ts) answers what the SDK's own transport in JSON
 * mode answers, byte for byte: status, content type, length and body, for every request the exchange
 * takes or declines. Two loopback servers, the same server factory, the same request bytes.
 */
const auth: AuthInfo = { token: 'opaque', clientId: 'test-client', scopes: ['access_as_user'] };

let aborted: (reason: unknown) => void = () => {};
let started: () => void = () => {};

function build(): McpServer {
  const server = new McpServer({ name: 'exchange-test', version: '1.0.0' }, { capabilities: { tools: {}, prompts: {} }, instructions: 'test' });
  server.registerTool('echo', { description: 'echo', inputSchema: z.object({ text: z.string() }), outputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
    content: [{ type: 'text', text }],
    structuredContent: { text },
  }));
  server.registerTool('fails', { description: 'throws', inputSchema: z.object({}) }, async () => {
    throw new Error('tool failed on purpose');
  });
  server.registerTool('bad_output', { description: 'returns what its output schema refuses', inputSchema: z.object({}), outputSchema: z.object({ n: z.number() }) }, async () => ({
    content: [{ type: 'text', text: 'x' }],
    structuredContent: { n: 'not a number' } as unknown as { n: number },
  }));
  server.registerTool('waits', { description: 'waits for its signal', inputSchema: z.object({}) }, async (_args, ctx) => {
    started();
    await new Promise<void>((resolve) => ctx.mcpReq.signal.addEventListener('abort', () => resolve(), { once: true }));
    aborted(ctx.mcpReq.signal.reason);
    return { content: [{ type: 'text', text: 'aborted' }] };
  });
  server.registerPrompt('hello', { description: 'a prompt' }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }] }));
  return server;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function listen(handle: (req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse, body: unknown) => Promise<void>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
    void readBody(req).then((body) => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp` };
}

let exchange: { server: Server; url: string };
let sdkJson: { server: Server; url: string };

beforeAll(async () => {
  const sdk = toNodeHandler(createMcpHandler(build));
  exchange = await listen(createHttpMcpExchange({ sdk: (req, res, body) => sdk(req, res, body), buildLegacyServer: () => build(), onerror: () => {} }));
  // The reference: the SDK's stateless transport in JSON mode, a fresh server per request.
  sdkJson = await listen(async (req, res, body) => {
    const server = build();
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    res.once('close', () => void transport.close().then(() => server.close()));
    await transport.handleRequest(req, res, body);
  });
});

afterAll(async () => {
  for (const s of [exchange.server, sdkJson.server]) await new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())));
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), length: res.headers.get('content-length'), body: await res.text() };
}

const call = (id: number | string, name: string, args: unknown = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
const CASES: [string, unknown, Record<string, string>?][] = [
  ['a tool call', call(1, 'echo', { text: 'héllo' })],
  ['a string id', call('abc', 'echo', { text: 'x' })],
  ['invalid arguments', call(2, 'echo', { text: 5 })],
  ['a tool that throws', call(3, 'fails')],
  ['an output its schema refuses', call(4, 'bad_output')],
  ['an unknown tool', call(5, 'nope')],
  ['tools/call without params', { jsonrpc: '2.0', id: 6, method: 'tools/call' }],
  ['tools/list', { jsonrpc: '2.0', id: 7, method: 'tools/list' }],
  ['prompts/get', { jsonrpc: '2.0', id: 8, method: 'prompts/get', params: { name: 'hello' } }],
  ['an unknown method', { jsonrpc: '2.0', id: 9, method: 'nope/nothing' }],
  ['ping', { jsonrpc: '2.0', id: 10, method: 'ping' }],
  ['initialize', { jsonrpc: '2.0', id: 11, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } } }],
  ['initialize naming an unknown version in its header', { jsonrpc: '2.0', id: 12, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } } }, { 'mcp-protocol-version': '1999-01-01' }],
  ['an unsupported protocol version header (declined: the SDK answers)', { jsonrpc: '2.0', id: 13, method: 'ping' }, { 'mcp-protocol-version': '1999-01-01' }],
  ['an older era', { jsonrpc: '2.0', id: 14, method: 'ping' }, { 'mcp-protocol-version': '2025-03-26' }],
  ['_meta without a progress token', { jsonrpc: '2.0', id: 15, method: 'tools/call', params: { name: 'echo', arguments: { text: 'm' }, _meta: { note: 1 } } }],
];

describe('the JSON exchange answers as the SDK transport in JSON mode', () => {
  it.each(CASES)('%s', async (_name, body, headers) => {
    const [ours, theirs] = [await post(exchange.url, body, headers), await post(sdkJson.url, body, headers)];
    expect(ours).toEqual(theirs);
  });

  it('aborts the handler when the client leaves before the answer', async () => {
    const wasAborted = new Promise<unknown>((resolve) => (aborted = resolve));
    const wasStarted = new Promise<void>((resolve) => (started = resolve));
    const controller = new AbortController();
    const pending = fetch(exchange.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify(call(20, 'waits')),
      signal: controller.signal,
    }).catch((err: Error) => err);
    await wasStarted;
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(String(await wasAborted)).toMatch(/Connection closed/);
  });
});
