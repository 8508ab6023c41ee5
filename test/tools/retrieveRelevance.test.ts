import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import type { EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { deviceCodeTokens } from '../helpers/emulatorToken.js';
import { connectClient, textOf, type McpTestClient } from '../helpers/mcpClients.js';
import { factsOf } from './facts.js';

type Hit = { url: string; title?: string; extracts: { text: string; relevanceScore?: number }[] };
type Retrieve = { hits: Hit[]; leftOut?: number };
const best = (h: Hit) => Math.max(...h.extracts.map((e) => e.relevanceScore ?? 0));

let emulator: EmulatorProcess;
let facts: TenantFacts;
let client: McpTestClient;
let dir: string;

beforeAll(async () => {
  emulator = await useSharedEmulator({ retrievalBudgetPerHour: 1000 });
  facts = await factsOf(emulator);
  const token = (await deviceCodeTokens(emulator, facts.demoUser.upn, ['User.Read', 'Files.Read.All', 'Sites.Read.All'])).access_token;
  dir = mkdtempSync(join(tmpdir(), 'm365-relevance-test-'));
  client = await connectClient('v2-2026', ['--emulator', emulator.file, '--audit-file', 'off'], { M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir, M365_COPILOT_MCP_ACCESS_TOKEN: token });
});
afterAll(async () => {
  await client?.close();
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('copilot_retrieve by default: the hits that answer the question (issue 17)', () => {
  it("answers the README's question with the VPN guide first and leaves the weak matches out, saying so", async () => {
    const r = await client.callTool('copilot_retrieve', { query: 'How do I set up the corporate VPN?' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = r.structuredContent as Retrieve;
    expect(s.hits[0]?.url).toBe(facts.vpnGuide.document.webUrl);
    expect(s.hits.length).toBeLessThanOrEqual(10);
    const top = best(s.hits[0]!);
    for (const h of s.hits) expect(best(h), h.title).toBeGreaterThanOrEqual(top * 0.4);
    expect(s.leftOut).toBeGreaterThan(0);
    expect(textOf(r)).toContain(`${s.leftOut} weaker hit(s) left out`);
  });

  it('with maxResults the caller gets every hit Graph ranked, weak ones included', async () => {
    const plain = (await client.callTool('copilot_retrieve', { query: 'How do I set up the corporate VPN?' })).structuredContent as Retrieve;
    const r = await client.callTool('copilot_retrieve', { query: 'How do I set up the corporate VPN?', maxResults: 25 });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = r.structuredContent as Retrieve;
    expect(s.leftOut).toBeUndefined();
    expect(s.hits.length).toBe(plain.hits.length + plain.leftOut!);
    expect(s.hits[0]?.url).toBe(facts.vpnGuide.document.webUrl);
  });
});
