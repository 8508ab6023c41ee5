import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectHttpClient, mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { connectClient, textOf } from '../helpers/mcpClients.js';

/**
 * Red-team finding 5, against the built CLI: slow-header sockets held open, JSON-RPC batches in eras
 * that removed them, an empty 413, forged and replayed cursors, and calls racing the first sign-in
 * that were not counted against the retrieval budget.
 */
let emulator: EmulatorProcess;
let server: HttpServerProcess;
let token: string;

beforeAll(async () => {
  emulator = await useSharedEmulator({ retrievalBudgetPerHour: 100000, deviceCodeIntervalSec: 1, autoApproveUpn: 'demo' });
  server = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', 'off', '--http-headers-timeout', '1', '--max-request-bytes', '2048']);
  token = await mintToken(emulator, { user: emulator.descriptor.demoUser });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
});

const post = (body: string, era = '2025-11-25') =>
  fetch(server.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': era },
    body,
  });

describe('hostile HTTP clients (finding 5)', () => {
  it('closes sockets that never finish their headers', async () => {
    const { hostname, port } = new URL(server.url);
    const sockets: Socket[] = await Promise.all(
      Array.from({ length: 20 }, () => new Promise<Socket>((resolve) => {
        const s = connect(Number(port), hostname, () => resolve(s));
        s.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
        s.resume(); // read what the server sends (its 408), so the socket can end
      })),
    );
    const closed = await Promise.all(sockets.map((s) => new Promise<boolean>((resolve) => {
      s.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 15_000).unref();
    })));
    expect(closed.every(Boolean), 'every slow-header socket was closed by the server').toBe(true);
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
  });

  it('refuses JSON-RPC batches in eras without batching, and says why a body is refused', async () => {
    const batch = JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }]);
    for (const era of ['2025-06-18', '2025-11-25', '2026-07-28']) {
      const res = await post(batch, era);
      expect(res.status, era).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: -32600, message: expect.stringMatching(/batches are not part of MCP/) } });
    }
    const big = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(4096) } }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { message: expect.stringMatching(/at most 2048 bytes/) } });
    const garbage = await post('{not json');
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ error: { code: -32700 } });
  });

  it('refuses an export cursor that was edited, or replayed by another user', async () => {
    const demo = emulator.descriptor.users.find((u) => u.upn === emulator.descriptor.demoUser)!;
    const owner = await connectHttpClient('v2-2026', server.url, token);
    const admin = emulator.descriptor.apps.mcpServer.exportRoleMembers[0]!;
    const other = await connectHttpClient('v2-2026', server.url, await mintToken(emulator, { user: admin }));
    try {
      const first = await owner.callTool('copilot_export_interactions', { userId: demo.id, limit: 1 });
      const cursor = first.structuredContent?.['nextCursor'] as string;
      const [v, body, mac] = cursor.split('.');
      const payload = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as { s: number };
      const edited = `${v}.${Buffer.from(JSON.stringify({ ...payload, s: 0 })).toString('base64url')}.${mac}`;
      expect(textOf(await owner.callTool('copilot_export_interactions', { userId: demo.id, limit: 1, cursor: edited }))).toMatch(/InvalidArgument.*cursor is not one this server issued to you/s);
      // An admin may export the demo user's interactions, but not continue with a cursor issued to someone else.
      expect(textOf(await other.callTool('copilot_export_interactions', { userId: demo.id, limit: 1, cursor }))).toMatch(/cursor is not one this server issued to you/);
      expect((await owner.callTool('copilot_export_interactions', { userId: demo.id, limit: 1, cursor })).isError).toBeFalsy();
    } finally {
      await Promise.all([owner.close(), other.close()]);
    }
  });
});

describe('retrieval budget at the first sign-in (finding 5)', () => {
  it('counts the calls that race the first sign-in: no more reach Graph than the budget allows', async () => {
    const client = await connectClient('v2-2026', ['--emulator', emulator.file, '--sign-in-wait', '30', '--retrieval-budget-per-hour', '20', '--audit-file', 'off']);
    try {
      await emulator.resetStats();
      const answers = await Promise.all(Array.from({ length: 60 }, () => client.callTool('copilot_retrieve', { query: 'vpn', sources: ['sharePoint'] }, { timeout: 60_000 })));
      const retrievals = Object.entries((await emulator.stats()).graphRequests.byRoute)
        .filter(([route]) => route.includes('/copilot/retrieval'))
        .reduce((sum, [, byStatus]) => sum + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);
      expect(retrievals).toBeLessThanOrEqual(20);
      expect(answers.filter((a) => !a.isError)).toHaveLength(20);
      expect(answers.filter((a) => a.isError).every((a) => /BudgetExhausted/.test(textOf(a)))).toBe(true);
    } finally {
      await client.close();
    }
  });
});
