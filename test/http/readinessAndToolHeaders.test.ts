import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { connectHttpClient, mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { ERAS, textOf } from '../helpers/mcpClients.js';

/**
 * What a load balancer and a narrowing client see of `serve --http`: /readyz from cached state, and
 * the X-MCP-Toolsets / X-MCP-Tools headers narrowing one request's tools within the server's own.
 * An emulator of this file's own: the readiness test stops it.
 */
let emulator: EmulatorProcess;
let server: HttpServerProcess;

beforeAll(async () => {
  emulator = await startEmulatorProcess();
  server = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', 'off']);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
});

const token = () => mintToken(emulator, { user: emulator.descriptor.demoUser });
const names = (tools: { name: string }[]) => tools.map((t) => t.name).sort();

describe.each(ERAS)('per-request tool selection, %s client', (era) => {
  it('offers only the tools and toolsets the headers name, within what the server offers', async () => {
    const client = await connectHttpClient(era, server.url, await token(), undefined, { 'X-MCP-Tools': 'copilot_status' });
    try {
      expect(names((await client.listTools()).tools)).toEqual(['copilot_status']);
      const status = await client.callTool('copilot_status');
      expect(status.isError, textOf(status)).toBeFalsy();
      // A tool the request left out is not there to call.
      const retrieve = await client.callTool('copilot_retrieve', { query: 'vpn', sources: ['sharePoint'] }).catch((err: Error) => ({ isError: true, content: [{ type: 'text', text: err.message }] }));
      expect(retrieve.isError).toBe(true);
      expect(textOf(retrieve as never)).toMatch(/copilot_retrieve/);
    } finally {
      await client.close();
    }
    const sets = await connectHttpClient(era, server.url, await token(), undefined, { 'X-MCP-Toolsets': 'retrieval, meetings', 'X-MCP-Tools': 'copilot_status' });
    try {
      expect(names((await sets.listTools()).tools)).toEqual(['copilot_meeting_insights', 'copilot_retrieve', 'copilot_status']);
    } finally {
      await sets.close();
    }
  });
});

describe('per-request tool selection refusals', () => {
  const post = async (headers: Record<string, string>) =>
    fetch(server.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token()}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} }),
    });

  it('answers a name that is no tool, or one the server does not offer, with a JSON-RPC error naming what would work', async () => {
    const unknown = await post({ 'X-MCP-Tools': 'copilot_status,copilot_nope' });
    expect(unknown.status).toBe(400);
    const body = (await unknown.json()) as { id: unknown; error: { code: number; message: string } };
    expect(body.id).toBe(7);
    expect(body.error.code).toBe(-32602);
    expect(body.error.message).toContain('unknown tool copilot_nope');
    expect(body.error.message).toContain('copilot_retrieve');

    // The chat tool exists but is beta: this server (no --enable-beta) does not offer it.
    const notOffered = await post({ 'X-MCP-Toolsets': 'chat' });
    expect(notOffered.status).toBe(400);
    expect(((await notOffered.json()) as { error: { message: string } }).error.message).toContain('toolset chat has no tool this server offers');

    const badSet = await post({ 'X-MCP-Toolsets': 'everything' });
    expect(((await badSet.json()) as { error: { message: string } }).error.message).toContain('unknown toolset everything');
  });

  it('still checks the bearer first: no token, no selection answer', async () => {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'X-MCP-Tools': 'nope' }, body: '{}' });
    expect(res.status).toBe(401);
  });
});

describe('/readyz', () => {
  it('says draining (503) from SIGTERM on, while the port stays open for --shutdown-drain and refuses new calls with a 503 to resend', async () => {
    const leaving = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', 'off', '--shutdown-drain', '2']);
    const exited = leaving.stop();
    let probe = await fetch(`${leaving.origin}/readyz`);
    for (let i = 0; i < 40 && probe.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      probe = await fetch(`${leaving.origin}/readyz`);
    }
    expect(probe.status).toBe(503);
    expect(await probe.json()).toMatchObject({ status: 'not ready', draining: true });
    const call = await fetch(leaving.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(call.status).toBe(503);
    expect(((await call.json()) as { error: { message: string } }).error.message).toContain('retry on another instance');
    expect(await exited).toBe(0);
  });

  it('answers from cached state: the keys fetched at start, no fetch per probe (still ready while the authority is away)', async () => {
    // An instance that has never seen a token: only its start-up fetch of the keys can make it ready.
    const idle = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', 'off']);
    try {
      await emulator.stop();
      for (const instance of [idle, server]) {
        // A probe that fetched the keys would now fail; keys fetched moments ago are fresh.
        for (let i = 0; i < 3; i++) {
          const probe = await fetch(`${instance.origin}/readyz`);
          expect(probe.status).toBe(200);
          expect(await probe.json()).toEqual({ status: 'ready', draining: false, checks: { jwks: true } });
        }
      }
      expect((await fetch(`${idle.origin}/healthz`)).status).toBe(200);
    } finally {
      await idle.stop();
    }
  });
});
