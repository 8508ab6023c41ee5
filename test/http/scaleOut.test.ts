import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { connectHttpClient, mintToken, roundRobinFetch, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { textOf, type McpTestClient } from '../helpers/mcpClients.js';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.js';
import { skipWithout } from '../helpers/system.js';
import { factsOf } from '../tools/facts.js';

/**
 * Remote mode as a team would run it: 50 users at once, two server instances behind a round-robin
 * balancer sharing one Redis, both protocol eras, and Redis going away mid-run.
 */
const skip = skipWithout('redis-server');
let emulator: EmulatorProcess;
let redis: RedisServer;
let instances: HttpServerProcess[];
let facts: TenantFacts;
const redisKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  [emulator, redis] = await Promise.all([startEmulatorProcess(['--users', '50', '--retrieval-budget', '100000']), startRedisServer()]);
  facts = await factsOf(emulator);
  const args = ['--emulator', emulator.file, '--redis', redis.url, '--retrieval-budget-per-hour', '100000', '--audit-file', 'off'];
  instances = await Promise.all([0, 1].map(() => startHttpServerProcess(args, { M365_COPILOT_MCP_REDIS_KEY: redisKey })));
}, 90_000);

afterAll(async () => {
  await Promise.all((instances ?? []).map((i) => i.stop()));
  await emulator?.stop();
  await redis?.cleanup();
});

const hitUrls = (r: { structuredContent?: Record<string, unknown> }) => ((r.structuredContent?.['hits'] ?? []) as { url: string }[]).map((h) => h.url);

describe.skipIf(skip)('50 users through two instances sharing Redis', () => {
  it('gives each user only what they may read, with one on-behalf-of exchange per user across both instances, in both eras', async () => {
    const personal = facts.personalDocs!;
    expect(personal.length).toBe(50);
    await emulator.resetStats();
    const results = await Promise.all(
      personal.map(async ({ user, document, query }, i) => {
        const era = i % 2 === 0 ? 'v1-2025' : 'v2-2026';
        // A balancer per client: its requests alternate between the instances, so every user's calls reach both.
        const client: McpTestClient = await connectHttpClient(era, instances[0]!.url, await mintToken(emulator, { user: user.upn }), roundRobinFetch(instances.map((x) => x.origin)));
        try {
          // Several calls per user, so each user's calls land on both instances.
          const answers = [];
          for (let n = 0; n < 3; n++) answers.push(await client.callTool('copilot_retrieve', { query, sources: [document.source] }));
          const readable = (await (await emulator.control(`/facts/readable?user=${encodeURIComponent(user.upn)}`)).json()) as { documents: { webUrl: string }[] };
          return { user: user.upn, own: document.webUrl, answers, readable: new Set(readable.documents.map((d) => d.webUrl)) };
        } finally {
          await client.close();
        }
      }),
    );
    const othersPersonal = (upn: string) => new Set(personal.filter((p) => p.user.upn !== upn).map((p) => p.document.webUrl));
    const licensed = new Set(emulator.descriptor.users.filter((u) => u.copilotLicense).map((u) => u.upn));
    expect(licensed.size).toBeGreaterThanOrEqual(45);
    for (const r of results) {
      for (const answer of r.answers) {
        if (!licensed.has(r.user)) {
          // Graph's answer for a user without a Copilot licence, passed on with its next step.
          expect(textOf(answer)).toContain('LicenseRequired');
          continue;
        }
        expect(answer.isError, `${r.user}: ${textOf(answer)}`).toBeFalsy();
        const urls = hitUrls(answer);
        expect(urls[0], r.user).toBe(r.own);
        // Never a document the user may not read, never another user's private file.
        expect(urls.filter((u) => !r.readable.has(u)), r.user).toEqual([]);
        expect(urls.filter((u) => othersPersonal(r.user).has(u)), r.user).toEqual([]);
      }
    }
    const stats = await emulator.stats();
    const perUser = (stats.tokenRequests as unknown as { byGrantAndUser: Record<string, Record<string, number>> }).byGrantAndUser['on_behalf_of'] ?? {};
    expect(Object.keys(perUser).length).toBe(50);
    expect(Object.values(perUser).every((n) => n === 1), JSON.stringify(perUser)).toBe(true);
  });
});

describe.skipIf(skip)('Redis outage', () => {
  it('answers with a clear retryable error while Redis is down, stays up, and recovers when it returns', async () => {
    const balancer = roundRobinFetch(instances.map((i) => i.origin));
    // A user whose tokens are not memoised yet on either instance: fresh incoming token.
    const user = facts.personalDocs![7]!.user.upn;
    await redis.stop();
    try {
      const client = await connectHttpClient('v2-2026', instances[0]!.url, await mintToken(emulator, { user }), balancer);
      try {
        const down = await client.callTool('copilot_status');
        expect(down.isError).toBe(true);
        expect(textOf(down)).toContain('CacheUnavailable');
        expect(textOf(down)).toMatch(/redis:\/\/127\.0\.0\.1:\d+/);
        const ready = await fetch(`${instances[0]!.origin}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ checks: { redis: false } });
      } finally {
        await client.close();
      }
    } finally {
      await redis.start();
    }
    // Both instances still alive, and the same kind of call now works through either.
    const client = await connectHttpClient('v1-2025', instances[0]!.url, await mintToken(emulator, { user }), balancer);
    try {
      let answer = await client.callTool('copilot_status');
      // ioredis reconnects in the background within about a second.
      for (let i = 0; i < 20 && answer.isError; i++) {
        await new Promise((r) => setTimeout(r, 250));
        answer = await client.callTool('copilot_status');
      }
      expect(answer.isError, textOf(answer)).toBeFalsy();
      expect((answer.structuredContent?.['user'] as { upn: string }).upn).toBe(user);
      for (const instance of instances) expect((await fetch(`${instance.origin}/readyz`)).status).toBe(200);
    } finally {
      await client.close();
    }
  });
});
