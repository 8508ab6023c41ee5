import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectHttpClient, mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { ERAS, textOf } from '../helpers/mcpClients.js';

/** Tool calls over Streamable HTTP, both protocol eras, each on behalf of the bearer's own user. */
let emulator: EmulatorProcess;
let server: HttpServerProcess;

beforeAll(async () => {
  emulator = await useSharedEmulator({ retrievalBudgetPerHour: 100000 });
  server = await startHttpServerProcess(['--emulator', emulator.file, '--retrieval-budget-per-hour', '100000', '--audit-file', 'off']);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
});

const demo = () => emulator.descriptor.demoUser;
const upnOf = (i: number) => emulator.descriptor.users.filter((u) => u.copilotLicense && u.upn !== demo())[i]!.upn;

describe.each(ERAS)('HTTP tools, %s client', (era) => {
  it('lists the tools and answers as the bearer’s user', async () => {
    const client = await connectHttpClient(era, server.url, await mintToken(emulator, { user: demo() }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['copilot_export_interactions', 'copilot_meeting_insights', 'copilot_retrieve', 'copilot_status', 'copilot_usage_report']);
      const status = await client.callTool('copilot_status');
      expect(status.isError, textOf(status)).toBeFalsy();
      expect(status.structuredContent?.['user']).toMatchObject({ upn: demo() });
      const other = await connectHttpClient(era, server.url, await mintToken(emulator, { user: upnOf(0) }));
      try {
        const otherStatus = await other.callTool('copilot_status');
        expect(otherStatus.structuredContent?.['user']).toMatchObject({ upn: upnOf(0) });
      } finally {
        await other.close();
      }
      const retrieved = await client.callTool('copilot_retrieve', { query: 'vpn', sources: ['sharePoint'] });
      expect(retrieved.isError, textOf(retrieved)).toBeFalsy();
      expect((retrieved.structuredContent?.['hits'] as unknown[]).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});

describe('export authorization over HTTP', () => {
  const mcpServer = () => emulator.descriptor.apps.mcpServer;

  it('lets a caller export their own interactions, refuses another user’s without the role, and logs the decision', async () => {
    const client = await connectHttpClient('v2-2026', server.url, await mintToken(emulator, { user: demo() }));
    try {
      const own = await client.callTool('copilot_export_interactions', { userId: demo(), limit: 5 });
      expect(own.isError, textOf(own)).toBeFalsy();
      await emulator.resetStats();
      const other = await client.callTool('copilot_export_interactions', { userId: upnOf(1), limit: 5 });
      expect(other.isError).toBe(true);
      expect(textOf(other)).toContain('Forbidden');
      expect(textOf(other)).toContain(mcpServer().exportRole);
      // Refused before any export request left for the other user.
      const stats = await emulator.stats();
      const exportRequests = Object.entries(stats.graphRequests.byRoute).filter(([route]) => route.includes('getAllEnterpriseInteractions'));
      expect(exportRequests).toEqual([]);
    } finally {
      await client.close();
    }
    expect(server.stderr()).toMatch(/export authorization.*"allowed":false/);
  });

  it('lets a holder of the export role export another user’s interactions', async () => {
    const admin = mcpServer().exportRoleMembers![0]!;
    const client = await connectHttpClient('v1-2025', server.url, await mintToken(emulator, { user: admin }));
    try {
      const other = await client.callTool('copilot_export_interactions', { userId: demo(), limit: 5 });
      expect(other.isError, textOf(other)).toBeFalsy();
      expect((other.structuredContent?.['user'] as { upn?: string }).upn?.toLowerCase()).toBe(demo().toLowerCase());
    } finally {
      await client.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight call finish after SIGTERM, refuses new ones, and exits 0', async () => {
    const own = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', 'off', '--shutdown-grace', '20']);
    const client = await connectHttpClient('v1-2025', own.url, await mintToken(emulator, { user: demo() }));
    await emulator.control('/faults', { seed: 1, routes: { 'GET /me': { slowRate: 1, slowMs: 5000 } } });
    try {
      let answered = false;
      const inFlight = client.callTool('copilot_status').finally(() => (answered = true));
      // The call is on the wire once the emulator holds its (slowed) Graph request: a counter, not a sleep.
      await vi.waitFor(async () => expect((await emulator.stats()).graphRequests.inFlight).toBeGreaterThan(0), { timeout: 20_000, interval: 25 });
      const exited = own.stop();
      // New work is turned away (listener closed, or 503 while draining) while the old call runs on.
      const late = () => fetch(own.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.status, () => 'refused');
      await vi.waitFor(async () => expect([503, 'refused']).toContain(await late()), { timeout: 10_000, interval: 25 });
      expect(answered, 'the in-flight call was still running when new work was refused').toBe(false);
      const answer = await inFlight;
      expect(answer.isError, textOf(answer)).toBeFalsy();
      expect(await exited).toBe(0);
    } finally {
      await emulator.control('/faults/clear', {});
      await client.close().catch(() => {});
    }
  });
});

describe('serve --http --demo (issue 15, friction 12)', () => {
  it('names the file of its in-process tenant, from which `emulator token` gets a bearer that works', async () => {
    const own = await startHttpServerProcess(['--demo', '--audit-file', 'off']);
    try {
      const line = JSON.parse(own.firstLine) as { emulator?: string };
      expect(line.emulator).toMatch(/demo\/emulator\.json$/);
      expect(statSync(line.emulator!).mode & 0o077).toBe(0);
      const minted = await runCli(['emulator', 'token', '--emulator', line.emulator!, '--user', 'demo']);
      expect(minted.code, minted.stderr).toBe(0);
      const client = await connectHttpClient('v2-2026', own.url, minted.stdout.trim());
      try {
        const status = await client.callTool('copilot_status');
        expect(status.isError, textOf(status)).toBeFalsy();
      } finally {
        await client.close();
      }
    } finally {
      await own.stop();
    }
  });
});

describe('answer framing over HTTP (issue 17: plain JSON where no stream is needed)', () => {
  const post = async (body: unknown) =>
    fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${await mintToken(emulator, { user: demo() })}`,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify(body),
    });

  it('answers a 2025-era call that asks for no progress with one JSON body', async () => {
    const res = await post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'copilot_status', arguments: {} } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const answer = (await res.json()) as { id: number; result: { structuredContent: { user: { upn: string } } } };
    expect(answer.id).toBe(7);
    expect(answer.result.structuredContent.user.upn).toBe(demo());
  });

  it('keeps the SDK’s event stream for a call that asks for progress', async () => {
    const res = await post({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'copilot_status', arguments: {}, _meta: { progressToken: 'p1' } } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await res.text()).toContain('"id":8');
  });
});
