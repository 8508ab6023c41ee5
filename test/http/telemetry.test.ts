import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { deviceCodeTokens } from '../helpers/emulatorToken.js';
import { mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { connectClient } from '../helpers/mcpClients.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';

/**
 * OpenTelemetry end to end: `serve --http` with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a real
 * OTLP/HTTP receiver on loopback (this file's; the exporters send OTLP JSON). The test asserts on what
 * arrived: MCP request spans continuing the client's traceparent from _meta, Graph request spans and
 * token acquisition spans as their children, an isError result counted as an error, the metrics, and
 * that no token or query text is in any attribute.
 */
interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
  status?: { code?: number };
}
interface OtlpMetric {
  name: string;
  [shape: string]: unknown;
}

const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 };
const received = { traces: [] as unknown[], metrics: [] as unknown[], contentTypes: new Set<string>() };
let receiver: Server;
let endpoint: string;
let emulator: EmulatorProcess;
let server: HttpServerProcess;

beforeAll(async () => {
  receiver = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.contentTypes.add(String(req.headers['content-type']));
    if (req.url === '/v1/traces') received.traces.push(JSON.parse(body));
    else if (req.url === '/v1/metrics') received.metrics.push(JSON.parse(body));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  emulator = await useSharedEmulator();
  server = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', 'off', '--instance-id', 'otel-test-instance'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_METRIC_EXPORT_INTERVAL: '500',
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await new Promise((r) => receiver?.close(r));
});

const spans = (): OtlpSpan[] =>
  (received.traces as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }[]).flatMap((t) => t.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
const metrics = (): OtlpMetric[] =>
  (received.metrics as { resourceMetrics: { scopeMetrics: { metrics: OtlpMetric[] }[] }[] }[]).flatMap((m) => m.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)));
const attr = (span: { attributes?: OtlpAttribute[] }, key: string): unknown => {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : (v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.boolValue ?? v.doubleValue);
};
const dataPoints = (m: OtlpMetric): { attributes?: OtlpAttribute[] }[] =>
  ['sum', 'histogram', 'gauge'].flatMap((shape) => ((m[shape] as { dataPoints?: { attributes?: OtlpAttribute[] }[] } | undefined)?.dataPoints ?? []));

async function rpc(token: string, id: number, name: string, args: Record<string, unknown>, meta: Record<string, unknown>): Promise<{ result?: { isError?: boolean } }> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: meta } }),
  });
  const text = await res.text();
  // A stateless 2025 answer may come as one SSE event.
  const json = text.startsWith('{') ? text : (text.split('\n').find((l) => l.startsWith('data: ')) ?? 'data: {}').slice(6);
  return JSON.parse(json) as { result?: { isError?: boolean } };
}

describe('OpenTelemetry over OTLP/HTTP', () => {
  const traceId = randomBytes(16).toString('hex');
  const clientSpanId = randomBytes(8).toString('hex');
  const query = 'telemetry-secret-query vpn';
  let token = '';

  it('exports spans and metrics for MCP requests, Graph requests and token acquisitions, linked parent to child', async () => {
    token = await mintToken(emulator, { user: emulator.descriptor.demoUser });
    const meta = { traceparent: `00-${traceId}-${clientSpanId}-01` };
    const retrieved = await rpc(token, 41, 'copilot_retrieve', { query, sources: ['sharePoint', 'oneDriveBusiness'] }, meta);
    expect(retrieved.result?.isError).toBeFalsy();
    // Another user's interactions without the export role: an isError result, which counts as an error.
    const other = emulator.descriptor.users.find((u) => u.upn !== emulator.descriptor.demoUser)!.upn;
    const refused = await rpc(token, 42, 'copilot_export_interactions', { userId: other, limit: 5 }, meta);
    expect(refused.result?.isError).toBe(true);

    // SIGTERM flushes what is buffered before the process exits.
    await server.stop();
    const all = spans();
    const mcp = all.filter((s) => attr(s, 'mcp.method.name') === 'tools/call');
    const retrieve = mcp.find((s) => attr(s, 'jsonrpc.request.id') === '41')!;
    expect(retrieve, JSON.stringify(all.map((s) => s.name))).toBeDefined();
    expect(retrieve).toMatchObject({ name: 'tools/call copilot_retrieve', kind: SPAN_KIND.SERVER, traceId, parentSpanId: clientSpanId });
    expect(attr(retrieve, 'gen_ai.tool.name')).toBe('copilot_retrieve');
    expect(attr(retrieve, 'gen_ai.operation.name')).toBe('execute_tool');
    expect(attr(retrieve, 'network.transport')).toBe('tcp');
    expect(attr(retrieve, 'mcp.protocol.version')).toBe('2025-11-25');
    expect(attr(retrieve, 'error.type')).toBeUndefined();

    // The Graph request ($batch of two sources) is the MCP span's child, with its route, status and request-id.
    const graph = all.filter((s) => s.parentSpanId === retrieve.spanId && s.kind === SPAN_KIND.CLIENT);
    expect(graph.map((s) => s.name)).toEqual(['POST /$batch']);
    expect(attr(graph[0]!, 'url.template')).toBe('POST /$batch');
    expect(attr(graph[0]!, 'http.response.status_code')).toBe(200);
    expect(String(attr(graph[0]!, 'm365.graph.request_id'))).toMatch(/[0-9a-f-]{36}/);
    expect(attr(graph[0]!, 'm365.graph.attempts')).toBe(1);
    // Its token, acquired through on-behalf-of (the first call for this user), is the Graph span's child.
    const tokenSpan = all.find((s) => s.parentSpanId === graph[0]!.spanId && s.name === 'token acquisition')!;
    expect(tokenSpan).toBeDefined();
    expect(attr(tokenSpan, 'm365.token.kind')).toBe('obo');

    const failed = mcp.find((s) => attr(s, 'jsonrpc.request.id') === '42')!;
    expect(failed).toMatchObject({ name: 'tools/call copilot_export_interactions', traceId, status: { code: 2 } });
    expect(attr(failed, 'error.type')).toBe('Forbidden');

    // Never a token, the query text or content in an attribute.
    const attributeText = JSON.stringify(all.map((s) => s.attributes));
    expect(attributeText).not.toContain(token);
    expect(attributeText).not.toContain('telemetry-secret-query');

    const byName = new Map(metrics().map((m) => [m.name, m]));
    for (const name of ['mcp.server.operation.duration', 'm365.graph.requests', 'm365.token.acquisitions', 'm365.mcp.in_flight', 'm365.retrieval.budget.remaining', 'm365.graph.circuit.state'])
      expect(byName.has(name), `${name} in ${[...byName.keys()].join(', ')}`).toBe(true);
    const durations = metrics().filter((m) => m.name === 'mcp.server.operation.duration').flatMap(dataPoints);
    expect(durations.some((p) => attr(p, 'gen_ai.tool.name') === 'copilot_export_interactions' && attr(p, 'error.type') === 'Forbidden')).toBe(true);
    const graphCounts = metrics().filter((m) => m.name === 'm365.graph.requests').flatMap(dataPoints);
    expect(graphCounts.some((p) => attr(p, 'url.template') === 'POST /$batch' && attr(p, 'http.response.status_code') === 200)).toBe(true);
    const tokenKinds = metrics().filter((m) => m.name === 'm365.token.acquisitions').flatMap(dataPoints);
    expect(tokenKinds.some((p) => attr(p, 'm365.token.kind') === 'obo')).toBe(true);
    expect(received.contentTypes).toContain('application/json');

    // Log lines written during the traced request carry its trace id.
    expect(server.stderr()).toContain(`"traceId":"${traceId}"`);
  });
});

describe('OpenTelemetry over stdio', () => {
  it('gives each tool call its span (network.transport pipe) with the Graph request as its child, flushed when the client leaves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365-otel-stdio-'));
    const { access_token } = await deviceCodeTokens(emulator, emulator.descriptor.demoUser, ['User.Read', 'Files.Read.All', 'Sites.Read.All']);
    const client = await connectClient('v1-2025', ['--emulator', emulator.file, '--audit-file', 'off'], {
      M365_COPILOT_MCP_STATE_DIR: dir,
      HOME: dir,
      M365_COPILOT_MCP_ACCESS_TOKEN: access_token,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    });
    const answer = await client.callTool('copilot_retrieve', { query: 'vpn', sources: ['sharePoint'] });
    expect(answer.isError).toBeFalsy();
    await client.close();
    const stdioSpan = () => spans().find((s) => attr(s, 'network.transport') === 'pipe' && attr(s, 'gen_ai.tool.name') === 'copilot_retrieve');
    for (let i = 0; i < 100 && !stdioSpan(); i++) await new Promise((r) => setTimeout(r, 50));
    const span = stdioSpan()!;
    expect(span).toMatchObject({ name: 'tools/call copilot_retrieve', kind: SPAN_KIND.SERVER });
    const graph = spans().filter((s) => s.parentSpanId === span.spanId);
    expect(graph.map((s) => s.name)).toEqual(['POST /copilot/retrieval']);
    // A token given on the command line is used as is: no token endpoint call.
    const token = spans().find((s) => s.parentSpanId === graph[0]!.spanId && s.name === 'token acquisition');
    expect(attr(token!, 'm365.token.kind')).toBe('cache');
    expect(JSON.stringify(spans().map((s) => s.attributes))).not.toContain(access_token);
  });
});

describe('OpenTelemetry: throttling and retries', () => {
  it('puts the retry and Graph’s Retry-After on the Graph request span, and counts the throttle', async () => {
    // The first retrieval request is answered 429 with Retry-After: 1; the retry goes through.
    const res = await emulator.control('/faults', { seed: 3, routes: { 'POST /copilot/retrieval': { throttle: 1, retryAfterSec: 1, onlyFirst: 1 } } });
    expect(res.ok).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'm365-otel-throttle-'));
    const upn = emulator.descriptor.users.find((u) => u.copilotLicense && u.upn !== emulator.descriptor.demoUser)!.upn;
    const { access_token } = await deviceCodeTokens(emulator, upn, ['User.Read', 'Files.Read.All', 'Sites.Read.All']);
    const before = spans().length;
    const client = await connectClient('v2-2026', ['--emulator', emulator.file, '--audit-file', 'off'], {
      M365_COPILOT_MCP_STATE_DIR: dir,
      HOME: dir,
      M365_COPILOT_MCP_ACCESS_TOKEN: access_token,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    });
    const answer = await client.callTool('copilot_retrieve', { query: 'vpn', sources: ['sharePoint'] });
    await client.close();
    const graphSpan = () => spans().slice(before).find((s) => s.name === 'POST /copilot/retrieval' && attr(s, 'm365.graph.throttled') === true);
    for (let i = 0; i < 100 && !graphSpan(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(answer.isError, JSON.stringify(answer.content)).toBeFalsy();
    const span = graphSpan()!;
    expect(span, JSON.stringify(spans().slice(before).map((s) => [s.name, s.attributes]))).toBeDefined();
    expect(attr(span, 'm365.graph.attempts')).toBe(2);
    expect(attr(span, 'm365.graph.retries')).toBe(1);
    expect(attr(span, 'm365.graph.retry_after_s')).toBe(1);
    expect(attr(span, 'http.response.status_code')).toBe(200);
    for (let i = 0; i < 100 && !metrics().some((m) => m.name === 'm365.graph.throttles'); i++) await new Promise((r) => setTimeout(r, 50));
    const throttles = metrics().filter((m) => m.name === 'm365.graph.throttles').flatMap(dataPoints);
    expect(throttles.some((p) => attr(p, 'url.template') === 'POST /copilot/retrieval' && attr(p, 'http.response.status_code') === 429)).toBe(true);
    expect(metrics().some((m) => m.name === 'm365.graph.retry_after')).toBe(true);
  });
});
