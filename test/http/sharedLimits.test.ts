import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { connectHttpClient, mintToken, roundRobinFetch, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { textOf } from '../helpers/mcpClients.js';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.js';
import { skipWithout } from '../helpers/system.js';

/**
 * With --redis, the per-user retrieval budget is one count for every instance: three instances
 * behind a round-robin balancer let a user through no more often than one would, as the emulator's
 * own request counter shows.
 */
const skip = skipWithout('redis-server');
const LIMIT = 4;
let emulator: EmulatorProcess;
let redis: RedisServer;
let instances: HttpServerProcess[] = [];

beforeAll(async () => {
  if (skip) return;
  [emulator, redis] = await Promise.all([startEmulatorProcess(['--retrieval-budget', '100000']), startRedisServer()]);
  const args = ['--emulator', emulator.file, '--redis', redis.url, '--retrieval-budget-per-hour', String(LIMIT), '--audit-file', 'off'];
  const env = { M365_COPILOT_MCP_REDIS_KEY: randomBytes(32).toString('base64') };
  instances = await Promise.all([0, 1, 2].map(() => startHttpServerProcess(args, env)));
}, 90_000);

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()));
  await emulator?.stop();
  await redis?.cleanup();
});

const retrievalRequests = async () => Object.values((await emulator.stats()).graphRequests.byRoute['POST /copilot/retrieval'] ?? {}).reduce((a, b) => a + b, 0);

describe.skipIf(skip)('retrieval budget shared by three instances', () => {
  it('lets one user through LIMIT times in all, whichever instance answers, and says so on every instance', async () => {
    await emulator.resetStats();
    const client = await connectHttpClient('v2-2026', instances[0]!.url, await mintToken(emulator, { user: emulator.descriptor.demoUser }), roundRobinFetch(instances.map((i) => i.origin)));
    const answers = [];
    try {
      // One at a time, so the count is not a race but a rule: 3 × LIMIT calls, each instance asked LIMIT times.
      for (let i = 0; i < 3 * LIMIT; i++) answers.push(await client.callTool('copilot_retrieve', { query: 'vpn', sources: ['sharePoint'] }));
    } finally {
      await client.close();
    }
    const ok = answers.filter((a) => !a.isError);
    expect(ok.length).toBe(LIMIT);
    expect(answers.slice(LIMIT).every((a) => a.isError && textOf(a).includes('BudgetExhausted'))).toBe(true);
    expect(ok.map((a) => (a.structuredContent?.['budget'] as { remaining: number }).remaining)).toEqual([3, 2, 1, 0]);
    // What reached Graph (the emulator): exactly the budget, not three budgets.
    expect(await retrievalRequests()).toBe(LIMIT);
  });

  it('concurrent calls racing on three instances still get no more than the budget', async () => {
    await emulator.resetStats();
    const upn = emulator.descriptor.users.find((u) => u.copilotLicense && u.upn !== emulator.descriptor.demoUser)!.upn;
    const token = await mintToken(emulator, { user: upn });
    const clients = await Promise.all(instances.map((i) => connectHttpClient('v1-2025', i.url, token)));
    try {
      const answers = await Promise.all(clients.flatMap((c) => Array.from({ length: LIMIT }, () => c.callTool('copilot_retrieve', { query: 'vpn', sources: ['sharePoint'] }))));
      expect(answers.filter((a) => !a.isError).length).toBe(LIMIT);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    expect(await retrievalRequests()).toBe(LIMIT);
  });
});
