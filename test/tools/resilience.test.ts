import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectClient, textOf, type McpTestClient } from '../helpers/mcpClients.js';
import { signInAs } from '../helpers/signIn.js';
import { factsOf } from './facts.js';

let emulator: EmulatorProcess;
let facts: TenantFacts;
let client: McpTestClient;

beforeAll(async () => {
  emulator = await useSharedEmulator({ deviceCodeIntervalSec: 1 });
  facts = await factsOf(emulator);
  client = await connectClient('v2-2026', ['--emulator', emulator.file, '--sign-in-wait', '0']);
  await signInAs(client, emulator, facts.demoUser.upn);
});
afterAll(async () => {
  await client?.close();
  await emulator?.stop();
});

const plan = (routes: Record<string, unknown>) => emulator.control('/faults', { seed: 7, routes });

describe('Graph faults seen through the server', () => {
  it('throttling and unavailability are retried after Retry-After, and the call succeeds', async () => {
    await plan({ 'POST /copilot/retrieval': { throttle: 1, retryAfterSec: 1, onlyFirst: 1 }, 'GET /me': { unavailable: 1, retryAfterSec: 1, onlyFirst: 1 } });
    await emulator.resetStats();
    const r = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = await client.callTool('copilot_status', {});
    expect(s.isError, textOf(s)).toBeFalsy();
    const stats = await emulator.stats();
    expect(stats.graphRequests.byRoute['POST /copilot/retrieval']).toMatchObject({ '429': 1, '200': 1 });
    await emulator.control('/faults/clear', {});
  });

  it('a throttled $batch item is retried alone while the other source keeps its answer', async () => {
    await plan({ 'POST /copilot/retrieval': { throttle: 1, retryAfterSec: 1, onlyFirst: 1 } });
    const r = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query });
    expect(r.isError, textOf(r)).toBeFalsy();
    const sources = (r.structuredContent as { sources: { status: string }[] }).sources;
    expect(sources.map((x) => x.status)).toEqual(['ok', 'ok']);
    await emulator.control('/faults/clear', {});
  });

  it('a wrong-shaped or truncated answer becomes a clear error, never garbage', async () => {
    await plan({ 'GET /me/calendarView': { wrongShape: 1, onlyFirst: 1 }, 'GET /me': { truncated: 1, onlyFirst: 1 } });
    const shape = await client.callTool('copilot_meeting_insights', { latest: true });
    expect(shape.isError).toBe(true);
    expect(textOf(shape)).toMatch(/\[BadGraphResponse\]/);
    const cut = await client.callTool('copilot_status', {});
    expect(cut.isError).toBe(true);
    expect(textOf(cut)).toMatch(/\[BadGraphResponse\]/);
    await emulator.control('/faults/clear', {});
  });
});
