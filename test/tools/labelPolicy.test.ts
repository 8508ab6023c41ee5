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

type Label = { id: string; name?: string; priority?: number };
type Hit = { url: string; title?: string; extracts: { text: string }[]; sensitivityLabel?: Label; metadata?: Record<string, string>; withheld?: string };
type Retrieve = { hits: Hit[]; withheldCount: number };

let emulator: EmulatorProcess;
let facts: TenantFacts;
let token: string;
let baseline: McpTestClient;
const queries = () => [facts.vpnGuide.query, facts.labelledDoc.query, facts.kqlExample.query];

beforeAll(async () => {
  emulator = await useSharedEmulator({ retrievalBudgetPerHour: 1000 });
  facts = await factsOf(emulator);
  token = (await deviceCodeTokens(emulator, facts.demoUser.upn, ['User.Read', 'Files.Read.All', 'Sites.Read.All'])).access_token;
  baseline = await server([]).then((s) => s.client);
});
afterAll(async () => {
  await baseline?.close();
  await emulator?.stop();
});

async function server(args: string[], env: Record<string, string> = {}): Promise<{ client: McpTestClient; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'm365-labels-test-'));
  const client = await connectClient('v2-2026', ['--emulator', emulator.file, ...args], { M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir, M365_COPILOT_MCP_ACCESS_TOKEN: token, ...env });
  return { client, dir };
}

const retrieve = (c: McpTestClient, query: string) => c.callTool('copilot_retrieve', { query, metadata: ['author', 'fileExtension'] });
const structured = (r: ToolResult) => r.structuredContent as Retrieve;
const auditOf = (dir: string) =>
  readFileSync(join(dir, 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);

/**
 * Runs the queries through the policy server and the unrestricted one (same user, same data) and
 * checks, hit by hit, that exactly those matching `withheld` lost their extracts, everywhere.
 */
async function expectWithheldExactly(policy: { client: McpTestClient; dir: string }, withheld: (l: Label | undefined) => boolean): Promise<{ kept: number; held: number }> {
  let kept = 0;
  let held = 0;
  let unique = 0;
  for (const query of queries()) {
    const open = structured(await retrieve(baseline, query));
    const r = await retrieve(policy.client, query);
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = structured(r);
    const text = textOf(r);
    const json = JSON.stringify(s);
    expect(s.hits.map((h) => h.url)).toEqual(open.hits.map((h) => h.url));
    // The generated documents share sentences; only text found in no readable hit can prove it was kept back.
    const readable = open.hits.filter((h) => !withheld(h.sensitivityLabel)).flatMap((h) => h.extracts.map((e) => e.text));
    for (const [i, h] of s.hits.entries()) {
      const full = open.hits[i]!;
      expect(h.sensitivityLabel).toEqual(full.sensitivityLabel);
      expect(h.title).toBe(full.title);
      if (withheld(full.sensitivityLabel)) {
        held++;
        expect(h.withheld).toBe('policy');
        expect(h.extracts).toEqual([]);
        expect(h.metadata).toBeUndefined();
        for (const e of full.extracts) {
          if (readable.some((t) => t.includes(e.text) || e.text.includes(t))) continue;
          unique++;
          expect(json).not.toContain(e.text);
          expect(text).not.toContain(e.text.slice(0, 399)); // the text rendering cuts extracts at 400 characters
        }
        expect(text).toContain(h.url);
      } else {
        kept++;
        expect(h.withheld).toBeUndefined();
        expect(h).toEqual(full);
      }
    }
    expect(s.withheldCount).toBe(s.hits.filter((h) => h.withheld).length);
    if (s.withheldCount) expect(text).toContain(`${s.withheldCount} hit(s) withheld`);
  }
  expect(unique).toBeGreaterThan(0);
  // The audit record of each call carries the same counts and the labels seen.
  const records = auditOf(policy.dir).filter((r) => r.tool === 'copilot_retrieve');
  expect(records).toHaveLength(queries().length);
  expect(records.reduce((n, r) => n + (r.result?.withheld ?? 0), 0)).toBe(held);
  expect(records.reduce((n, r) => n + (r.result?.count ?? 0), 0)).toBe(held + kept);
  return { kept, held };
}

describe('sensitivity-label policy', () => {
  it('by default withholds nothing and shows every label', async () => {
    const s = structured(await retrieve(baseline, facts.labelledDoc.query));
    expect(s.withheldCount).toBe(0);
    const doc = s.hits.find((h) => h.url === facts.labelledDoc.document.webUrl)!;
    expect(doc.extracts.length).toBeGreaterThan(0);
    expect(doc.sensitivityLabel).toEqual({ id: facts.labelledDoc.label.id, name: facts.labelledDoc.label.displayName, priority: facts.labelledDoc.label.priority });
  });

  it('withholds content whose label priority is above the threshold, and only that', async () => {
    const threshold = facts.vpnGuide.label.priority; // Internal stays readable; anything more sensitive is withheld
    expect(facts.labelledDoc.label.priority).toBeGreaterThan(threshold);
    const policy = await server(['--withhold-label-priority-above', String(threshold)]);
    try {
      const { kept, held } = await expectWithheldExactly(policy, (l) => l?.priority !== undefined && l.priority > threshold);
      expect(held).toBeGreaterThan(0);
      expect(kept).toBeGreaterThan(0);
      const doc = structured(await retrieve(policy.client, facts.labelledDoc.query)).hits.find((h) => h.url === facts.labelledDoc.document.webUrl);
      expect(doc).toMatchObject({ withheld: 'policy', extracts: [], title: facts.labelledDoc.document.title });
    } finally {
      await policy.client.close();
    }
  });

  it('withholds labels named on the list, by id or by name (comma-separated in the environment)', async () => {
    const byId = facts.labelledDoc.label.id;
    const byName = facts.vpnGuide.label.displayName.toUpperCase();
    const policy = await server([], { M365_COPILOT_MCP_WITHHOLD_LABELS: `${byId}, ${byName}` });
    try {
      const listed = (l: Label | undefined) => l !== undefined && (l.id === byId || l.name === facts.vpnGuide.label.displayName);
      const { kept, held } = await expectWithheldExactly(policy, listed);
      expect(held).toBeGreaterThan(0);
      expect(kept).toBeGreaterThan(0);
      const vpn = structured(await retrieve(policy.client, facts.vpnGuide.query)).hits[0]!;
      expect(vpn).toMatchObject({ url: facts.vpnGuide.document.webUrl, withheld: 'policy', sensitivityLabel: { id: facts.vpnGuide.label.id } });
    } finally {
      await policy.client.close();
    }
  });
});
