import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectHttpClient, mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { textOf } from '../helpers/mcpClients.js';

/**
 * Red-team finding 3: one request froze the event loop. A 60 KB connectionIds item was echoed back in
 * Graph's error and the quadratic JWT redaction took 7.4 s on it (120 KB: /healthz frozen 18.6 s).
 * Through the built CLI over HTTP: such arguments are refused at the schema, at once, and the server
 * keeps answering its health check while they arrive. Finding 4's 240 KB UPN too.
 */
let emulator: EmulatorProcess;
let server: HttpServerProcess;

beforeAll(async () => {
  emulator = await useSharedEmulator();
  server = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', 'off']);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
});

describe('hostile free-text arguments (findings 3 and 4)', () => {
  it('refuses oversized ids, UPNs and queries before Graph, naming the argument, while /healthz keeps answering', async () => {
    const client = await connectHttpClient('v2-2026', server.url, await mintToken(emulator, { user: emulator.descriptor.demoUser }));
    try {
      await emulator.resetStats();
      const run = base64urlRun(120 * 1024);
      const calls: [string, Record<string, unknown>, RegExp][] = [
        ['copilot_retrieve', { query: 'vpn', sources: ['externalItem'], connectionIds: [run] }, /connectionIds/],
        ['copilot_retrieve', { query: run }, /query/],
        ['copilot_retrieve', { query: 'vpn', metadata: [run] }, /metadata/],
        ['copilot_retrieve', { query: 'vpn', filter: run }, /filter/],
        ['copilot_export_interactions', { userId: `${'a'.repeat(240 * 1024)}@contoso.example` }, /userId.*113/s],
        ['copilot_meeting_insights', { meetingId: run }, /meetingId/],
      ];
      for (const [tool, args, names] of calls) {
        const health = timedHealth();
        const answer = await client.callTool(tool, args);
        expect(answer.isError, tool).toBe(true);
        expect(textOf(answer)).toMatch(names);
        expect(textOf(answer).length).toBeLessThan(4000);
        expect(await health, 'the event loop stayed free').toBeLessThan(2_000);
      }
      expect((await emulator.stats()).graphRequests.total).toBe(0);
    } finally {
      await client.close();
    }
  });
});

/** "eyJ" runs: the shape that made the old JWT pattern quadratic. */
function base64urlRun(bytes: number): string {
  return `eyJ${'eyJhbGciOiJIUzI1NiJ9'.repeat(Math.ceil(bytes / 20))}`.slice(0, bytes);
}

/** ms until /healthz answers, asked right away. */
async function timedHealth(): Promise<number> {
  const started = Date.now();
  const res = await fetch(`${server.origin}/healthz`);
  expect(res.status).toBe(200);
  return Date.now() - started;
}
