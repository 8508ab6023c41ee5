import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import type { AuditRecord } from '../../src/policy/auditTrail.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { deviceCodeTokens } from '../helpers/emulatorToken.js';
import { connectClient, textOf, type McpTestClient, type ToolResult } from '../helpers/mcpClients.js';
import { factsOf } from './facts.js';

type Retrieve = { sources: { source: string; status: string; error?: { code: string } }[]; budget?: { limit: number; remaining: number; resetsAt?: string } };
const HOUR_MS = 3_600_000;

let emulator: EmulatorProcess;
let facts: TenantFacts;

beforeAll(async () => {
  // Graph's limit, made small: 3 retrieval calls per user per hour.
  emulator = await useSharedEmulator({ retrievalBudgetPerHour: 3 });
  facts = await factsOf(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

async function serverFor(upn: string, budget: number): Promise<{ client: McpTestClient; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'm365-budget-test-'));
  const { access_token } = await deviceCodeTokens(emulator, upn, ['User.Read', 'Files.Read.All', 'Sites.Read.All']);
  const client = await connectClient('v2-2026', ['--emulator', emulator.file, '--retrieval-budget-per-hour', String(budget)], { M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir, M365_COPILOT_MCP_ACCESS_TOKEN: access_token });
  return { client, dir };
}

const budgetOf = (r: ToolResult) => {
  expect(r.isError, textOf(r)).toBeFalsy();
  return (r.structuredContent as Retrieve).budget!;
};
const lastAudit = (dir: string) => {
  const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n').filter(Boolean);
  return JSON.parse(lines[lines.length - 1]!) as AuditRecord;
};

describe('retrieval budget', () => {
  it('counts down one per source and, once used up, refuses without a Graph request, naming when it frees up', async () => {
    const { client, dir } = await serverFor(facts.demoUser.upn, 3);
    try {
      const before = Date.now();
      const one = budgetOf(await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] }));
      expect(one).toMatchObject({ limit: 3, remaining: 2 });
      const resetsAt = Date.parse(one.resetsAt!);
      expect(resetsAt).toBeGreaterThanOrEqual(before + HOUR_MS);
      expect(resetsAt).toBeLessThanOrEqual(Date.now() + HOUR_MS);

      // Two sources go out as one $batch of two retrieval requests: two calls, as Graph counts them.
      const two = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query });
      expect(budgetOf(two)).toEqual({ limit: 3, remaining: 0, resetsAt: one.resetsAt });
      expect((two.structuredContent as Retrieve).sources.map((s) => s.status)).toEqual(['ok', 'ok']);
      expect(textOf(two)).toContain('Retrieval budget: 0 of 3 calls left this hour.');

      await emulator.resetStats();
      const refused = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/\[BudgetExhausted\]/);
      expect(textOf(refused)).toContain(one.resetsAt);
      expect(textOf(refused)).toContain(facts.demoUser.upn);
      expect((await emulator.stats()).graphRequests.total).toBe(0);
      expect(lastAudit(dir)).toMatchObject({ tool: 'copilot_retrieve', outcome: 'error', errorCode: 'BudgetExhausted', graph: [] });
      // Other tools are not part of the retrieval budget.
      expect((await client.callTool('copilot_status', {})).isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it("follows Graph's 429 when its own count is higher: blocked until Retry-After, then refused locally", async () => {
    const { client, dir } = await serverFor(facts.licensedUser.upn, 10);
    try {
      expect(budgetOf(await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] }))).toMatchObject({ remaining: 9 });
      expect(budgetOf(await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] }))).toMatchObject({ remaining: 8 });
      // Graph has one call left for this user: of a two-source $batch, one item is answered, one throttled.
      const split = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query });
      const s = split.structuredContent as Retrieve;
      expect(s.sources.map((x) => x.status).sort()).toEqual(['error', 'ok']);
      expect(s.sources.find((x) => x.status === 'error')!.error!.code).toBe('Throttled');
      expect(s.budget!.remaining).toBe(0);
      const blockedUntil = Date.parse(s.budget!.resetsAt!);
      expect(blockedUntil).toBeGreaterThan(Date.now() + HOUR_MS - 120_000);
      expect(lastAudit(dir).graph.filter((g) => g.batchItem).map((g) => g.status).sort()).toEqual([200, 429]);

      await emulator.resetStats();
      const refused = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/\[BudgetExhausted\]: Graph throttled Copilot Retrieval .* \(429\)/);
      expect(textOf(refused)).toContain(s.budget!.resetsAt);
      expect((await emulator.stats()).graphRequests.total).toBe(0);
    } finally {
      await client.close();
    }
  });
});
