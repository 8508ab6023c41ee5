import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { startHaproxy, type Haproxy } from '../helpers/haproxy.js';
import { connectHttpClient, mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { textOf, type Era } from '../helpers/mcpClients.js';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.js';
import { skipWithout } from '../helpers/system.js';

/**
 * A tenant's deployment in miniature (slow tier): Debian's HAProxy in front of three `serve --http`
 * instances sharing one redis-server, plain HTTP on loopback. 50 users call a mix of tools in both
 * protocol eras; the retrieval budget and the export rate limit hold across the instances (the
 * emulator's counters prove it); one instance gets SIGTERM mid-run and drains: no call is lost (the
 * client retries only what was refused before any work: 503) and none is answered twice (one audit
 * record per call across all instances).
 */
const skip = skipWithout('redis-server', 'haproxy');
const USERS = 50;
const BUDGET = 3;
const RETRIEVES = 5;
const EXPORTS = 2;
const CALLS_PER_USER = 1 + RETRIEVES + EXPORTS;
let emulator: EmulatorProcess;
let redis: RedisServer;
let proxy: Haproxy;
let instances: HttpServerProcess[] = [];
const auditDir = mkdtempSync(join(tmpdir(), 'm365-lb-audit-'));
const auditFile = (i: number) => join(auditDir, `audit-${i}.jsonl`);

beforeAll(async () => {
  if (skip) return;
  [emulator, redis] = await Promise.all([startEmulatorProcess(['--users', '70', '--retrieval-budget', '100000']), startRedisServer()]);
  const env = { M365_COPILOT_MCP_REDIS_KEY: randomBytes(32).toString('base64') };
  // --shutdown-drain 1: the port stays open, answering 503, while HAProxy's checks (every 200 ms) take the instance out.
  const common = ['--emulator', emulator.file, '--redis', redis.url, '--retrieval-budget-per-hour', String(BUDGET), '--shutdown-grace', '30', '--shutdown-drain', '1'];
  instances = await Promise.all([0, 1, 2].map((i) => startHttpServerProcess([...common, '--audit-file', auditFile(i), '--instance-id', `lb-${i}`], env)));
  proxy = await startHaproxy(instances.map((i) => i.origin));
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all(instances.map((i) => i.stop()));
  await emulator?.stop();
  await redis?.cleanup();
});

/** A client's fetch that resends what was refused before any work began (503: draining, or no instance free); anything else is answered once. */
function retryingFetch(counter: { retries: number }): typeof fetch {
  return async (input, init) => {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(input instanceof Request ? input.clone() : input, init).catch((err: Error) => {
        // Not resent: the request may have been processed. The test fails on it (a lost call).
        console.log('[load balancer] a request got no answer:', String(init?.body).slice(0, 100), (err.cause as Error)?.message);
        throw err;
      });
      if (res.status !== 503 || attempt >= 50) return res;
      counter.retries++;
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
    }
  };
}

const records = (i: number): { tool: string; instance: string; caller: { upn?: string } | null }[] => {
  try {
    return readFileSync(auditFile(i), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as never);
  } catch {
    return [];
  }
};
const routeTotal = async (route: string) => Object.values((await emulator.stats()).graphRequests.byRoute[route] ?? {}).reduce((a, b) => a + b, 0);

describe.skipIf(skip)('three instances behind HAProxy, one drained mid-run', () => {
  it('serves 50 users in both eras with shared limits, and loses or repeats no call while an instance drains', async () => {
    const users = emulator.descriptor.users.filter((u) => u.copilotLicense).slice(0, USERS).map((u) => u.upn);
    expect(users.length).toBe(USERS);
    await emulator.resetStats();
    const counter = { retries: 0 };
    let done = 0;
    let drained: Promise<number | null> | undefined;
    const drainAfter = Math.floor((USERS * CALLS_PER_USER) / 3);
    const answered = () => {
      done++;
      // One instance leaves a third of the way in, while calls of every kind are in flight on it.
      if (done === drainAfter) drained = instances[1]!.stop();
    };
    const started = performance.now();
    const results = await Promise.all(
      users.map(async (upn, i) => {
        const era: Era = i % 2 === 0 ? 'v1-2025' : 'v2-2026';
        const client = await connectHttpClient(era, `${proxy.origin}/mcp`, await mintToken(emulator, { user: upn }), retryingFetch(counter));
        const calls: { tool: string; isError: boolean; text: string }[] = [];
        const call = async (tool: string, args: Record<string, unknown> = {}) => {
          const r = await client.callTool(tool, args);
          calls.push({ tool, isError: !!r.isError, text: textOf(r) });
          answered();
        };
        try {
          await call('copilot_status');
          for (let n = 0; n < RETRIEVES; n++) await call('copilot_retrieve', { query: 'vpn', sources: ['sharePoint'] });
          for (let n = 0; n < EXPORTS; n++) await call('copilot_export_interactions', { userId: upn, limit: 5 });
        } finally {
          await client.close();
        }
        return { upn, calls };
      }),
    );
    const elapsedMs = performance.now() - started;
    expect(drained, 'the instance was stopped mid-run').toBeDefined();
    expect(await drained).toBe(0);

    // No call lost: every user got every answer, and each is the tool's own (not a refusal).
    for (const { upn, calls } of results) {
      expect(calls.length, upn).toBe(CALLS_PER_USER);
      const unexpected = calls.filter((c) => c.isError && !(c.tool === 'copilot_retrieve' && c.text.includes('BudgetExhausted')));
      expect(unexpected, `${upn}: ${JSON.stringify(unexpected)}`).toEqual([]);
      // The budget held across the instances: exactly BUDGET retrievals per user, whichever instance answered.
      expect(calls.filter((c) => c.tool === 'copilot_retrieve' && !c.isError).length, upn).toBe(BUDGET);
    }
    // What reached Graph (the emulator): the budget, not three budgets, and every export page once.
    expect(await routeTotal('POST /copilot/retrieval')).toBe(USERS * BUDGET);
    const exportRequests = await routeTotal('GET /copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions');
    expect(exportRequests).toBeGreaterThanOrEqual(USERS * EXPORTS);
    // One export bucket for all three instances (6 at once, 24/s after): these requests cannot have
    // taken less time than that. A lower bound only: a slow machine adds time, it cannot fail this.
    expect(elapsedMs).toBeGreaterThanOrEqual(((exportRequests - 6) / 24) * 1000 - 100);

    // None answered twice: one audit record per call, over all instances, the drained one included.
    const all = [0, 1, 2].flatMap(records);
    expect(all.length).toBe(USERS * CALLS_PER_USER);
    expect(records(1).length, 'the drained instance served calls before it left').toBeGreaterThan(0);
    expect(new Set(all.map((r) => r.instance))).toEqual(new Set(['lb-0', 'lb-1', 'lb-2']));
    console.log(`[load balancer] ${USERS * CALLS_PER_USER} calls in ${Math.round(elapsedMs)} ms; ${exportRequests} export requests; per instance ${[0, 1, 2].map((i) => records(i).length).join('/')}; ${counter.retries} refused requests resent`);
  }, 300_000);
});
