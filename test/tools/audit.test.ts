import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import type { AuditRecord } from '../../src/policy/auditTrail.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { deviceCodeTokens, type IssuedTokens } from '../helpers/emulatorToken.js';
import { connectClient, textOf, type McpTestClient, type ToolResult } from '../helpers/mcpClients.js';
import { signInAs } from '../helpers/signIn.js';
import { factsOf } from './facts.js';

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/;
const DELEGATED = ['User.Read', 'Files.Read.All', 'Sites.Read.All', 'ExternalItem.Read.All', 'OnlineMeetingAiInsight.Read.All', 'OnlineMeetings.Read', 'Calendars.Read'];

let emulator: EmulatorProcess;
let facts: TenantFacts;
let tokens: IssuedTokens;

beforeAll(async () => {
  emulator = await useSharedEmulator({ retrievalBudgetPerHour: 1000, deviceCodeIntervalSec: 1 });
  facts = await factsOf(emulator);
  // A token the emulator issued, handed to the server as is: the test knows every secret the server holds.
  tokens = await deviceCodeTokens(emulator, facts.demoUser.upn, DELEGATED);
});
afterAll(async () => {
  await emulator?.stop();
});

const stateDir = () => mkdtempSync(join(tmpdir(), 'm365-audit-test-'));
const serverEnv = (dir: string) => ({ M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir, M365_COPILOT_MCP_ACCESS_TOKEN: tokens.access_token });

/** Every record in the audit file and its rotated siblings, oldest file first. */
function auditRecords(path: string): { records: AuditRecord[]; bytes: string; files: string[] } {
  const dir = join(path, '..');
  const base = path.split('/').pop()!;
  const rotated = readdirSync(dir)
    .filter((f) => f.startsWith(`${base}.`) && /^\d+$/.test(f.slice(base.length + 1)))
    .sort((a, b) => Number(b.slice(base.length + 1)) - Number(a.slice(base.length + 1)))
    .map((f) => join(dir, f));
  const files = [...rotated, ...(existsSync(path) ? [path] : [])];
  const bytes = files.map((f) => readFileSync(f, 'utf8')).join('');
  // JSON.parse of each line: a torn or interleaved line fails here.
  const records = bytes.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);
  return { records, bytes, files };
}

function expectNoSecrets(bytes: string): void {
  const secrets = [tokens.access_token, tokens.refresh_token, tokens.id_token, tokens.device_code, tokens.user_code, emulator.descriptor.apps.exportApp.clientSecret];
  for (const secret of secrets) if (secret) expect(bytes.includes(secret), 'a secret the emulator issued is in the audit file').toBe(false);
  expect(bytes).not.toMatch(JWT);
}

const hmac = (dir: string, text: string) => `hmac-sha256:${createHmac('sha256', Buffer.from(readFileSync(join(dir, 'audit-hash.key'), 'utf8').trim(), 'hex')).update(text).digest('hex')}`;
type Sources = { sources: { source: string; status: string; requestId?: string }[]; hits: unknown[] };

describe('audit log', () => {
  it('writes exactly one record per tool call, before the answer, with caller, outcome and the Graph request-ids', async () => {
    const dir = stateDir();
    const path = join(dir, 'audit.jsonl');
    const client = await connectClient('v2-2026', ['--emulator', emulator.file], serverEnv(dir));
    try {
      await emulator.resetStats();
      const calls: [string, Record<string, unknown>][] = [
        ['copilot_status', {}],
        ['copilot_retrieve', { query: facts.vpnGuide.query }],
        ['copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'], maxResults: 5 }],
        ['copilot_retrieve', { query: facts.connector.query, sources: ['sharePoint', 'externalItem'], connectionIds: ['NoSuchConnection'] }],
        ['copilot_export_interactions', { userId: '00000000-0000-4000-8000-000000000000' }],
        ['copilot_export_interactions', { userId: facts.demoUser.id, limit: 3 }],
        ['copilot_meeting_insights', { joinUrl: facts.meetings.withInsights.meeting.joinWebUrl }],
      ];
      const results: ToolResult[] = [];
      for (const [i, [name, args]] of calls.entries()) {
        results.push(await client.callTool(name, args));
        // The record is on disk by the time the answer arrives.
        expect(auditRecords(path).records).toHaveLength(i + 1);
      }
      const { records, bytes } = auditRecords(path);
      expect(records.map((r) => r.tool)).toEqual(calls.map(([name]) => name));
      expect(records.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'error', 'ok', 'ok']);
      expect(records[4]!.errorCode).toBe('NotFound');
      expect(textOf(results[4]!)).toContain('[NotFound]');
      for (const r of records) {
        expect(r).toMatchObject({ v: 1, transport: 'stdio', caller: { userId: facts.demoUser.id, upn: facts.demoUser.upn, tenantId: emulator.descriptor.tenantId } });
        expect(Date.parse(r.time)).not.toBeNaN();
        expect(r.durationMs).toBeGreaterThanOrEqual(0);
        expect(r.graph.length).toBeGreaterThan(0);
        for (const g of r.graph) expect(g.requestId, JSON.stringify(g)).toMatch(/^[0-9a-f-]{36}$/);
      }

      // Two sources: one $batch and its two items, whose request-ids are the ones the tool reported.
      const batch = records[1]!;
      expect(batch.graph.filter((g) => !g.batchItem).map((g) => [g.method, g.path, g.status])).toEqual([['POST', '/v1.0/$batch', 200]]);
      const reported = (results[1]!.structuredContent as Sources).sources.map((s) => s.requestId);
      expect(batch.graph.filter((g) => g.batchItem).map((g) => g.requestId).sort()).toEqual([...reported].sort());
      expect(batch.args).toEqual({ query: hmac(dir, facts.vpnGuide.query) });
      expect(batch.result).toMatchObject({ count: (results[1]!.structuredContent as Sources).hits.length, withheld: 0, budget: { limit: 200, remaining: 198 } });
      expect(batch.result!.labels).toEqual(expect.arrayContaining([expect.objectContaining({ id: facts.vpnGuide.label.id, name: facts.vpnGuide.label.displayName, priority: facts.vpnGuide.label.priority })]));
      // One source: a single request, the request-id the tool reported.
      expect(records[2]!.graph).toEqual([{ method: 'POST', path: '/v1.0/copilot/retrieval', route: 'POST /copilot/retrieval', status: 200, requestId: (results[2]!.structuredContent as Sources).sources[0]!.requestId }]);
      expect(records[2]!.args).toMatchObject({ sources: ['sharePoint'], maxResults: 5 });
      // A failed source is in the record, with its status code, while the call itself succeeded.
      expect(records[3]!.result!.sources).toEqual([
        { source: 'sharePoint', status: 'ok', hitCount: expect.any(Number) },
        { source: 'externalItem', status: 'error', hitCount: 0, errorCode: 'GraphError' },
      ]);
      expect(records[3]!.graph.find((g) => g.batchItem === 'externalItem')?.status).toBe(400);
      expect(records[4]!.graph.some((g) => g.status === 404)).toBe(true);
      expect(records[5]!.result).toMatchObject({ count: (results[5]!.structuredContent as { count: number }).count, more: true });
      expect(records[6]!.result).toMatchObject({ status: 'ready', count: 1 });
      expect(records[6]!.args['joinUrl']).toMatch(/^hmac-sha256:/);

      // Every HTTP request the emulator served appears once, in the record of the call that made it.
      const stats = await emulator.stats();
      expect(records.flatMap((r) => r.graph.filter((g) => !g.batchItem)).length).toBe(stats.graphRequests.total);

      expect(bytes).not.toContain(facts.vpnGuide.query);
      expect(bytes).not.toContain(facts.meetings.withInsights.meeting.joinWebUrl);
      expectNoSecrets(bytes);
      if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      await client.close();
    }
  });

  it('rotates at a small size and keeps every record of concurrent calls as whole lines', async () => {
    const dir = stateDir();
    const path = join(dir, 'logs', 'mcp-audit.jsonl');
    const client = await connectClient('v1-2025', ['--emulator', emulator.file, '--audit-file', path, '--audit-max-bytes', '2048', '--audit-max-files', '100', '--audit-query-text', 'omit'], serverEnv(dir));
    try {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => client.callTool('copilot_retrieve', { query: `${facts.vpnGuide.query} ${i}`, sources: ['sharePoint'] })));
      expect(results.filter((r) => r.isError).map(textOf)).toEqual([]);
      const { records, bytes, files } = auditRecords(path);
      expect(records).toHaveLength(30);
      expect(files.length).toBeGreaterThan(2);
      for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(2048);
      const ids = records.map((r) => r.graph[0]!.requestId);
      expect(new Set(ids).size).toBe(30);
      expect(ids.sort()).toEqual(results.map((r) => (r.structuredContent as Sources).sources[0]!.requestId).sort());
      for (const r of records) {
        expect(r.args['query']).toBeUndefined();
        expect(r.unrecordedArgs).toEqual(['query']);
      }
      expect(bytes).not.toContain(facts.vpnGuide.query);
      expect(existsSync(join(dir, 'audit.jsonl'))).toBe(false);
      expectNoSecrets(bytes);
    } finally {
      await client.close();
    }
  });

  it('attributes calls to the user a device-code sign-in brings, and a failed pre-sign-in call to nobody', async () => {
    const dir = stateDir();
    const client: McpTestClient = await connectClient('v1-2025', ['--emulator', emulator.file, '--sign-in-wait', '0'], { M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir });
    try {
      await signInAs(client, emulator, facts.licensedUser.upn);
      await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
      const { records, bytes } = auditRecords(join(dir, 'audit.jsonl'));
      expect(records[0]).toMatchObject({ tool: 'copilot_status', outcome: 'error', errorCode: 'AuthPending', caller: null, graph: [] });
      const last = records[records.length - 1]!;
      expect(last).toMatchObject({ tool: 'copilot_retrieve', outcome: 'ok', caller: { userId: facts.licensedUser.id, upn: facts.licensedUser.upn } });
      expect(records.filter((r) => r.outcome === 'ok').every((r) => r.caller?.userId === facts.licensedUser.id)).toBe(true);
      // MSAL's tokens, refresh token and device code live only in the server: none reaches the file.
      expect(bytes).not.toMatch(JWT);
      expect(bytes).not.toMatch(/device_?code|refresh|Bearer/i);
    } finally {
      await client.close();
    }
  });

  it('off writes nothing; an audit file that cannot be written fails the call instead of answering unaudited', async () => {
    const dir = stateDir();
    const off = await connectClient('v2-2026', ['--emulator', emulator.file, '--audit-file', 'off'], serverEnv(dir));
    try {
      expect((await off.callTool('copilot_status', {})).isError).toBeFalsy();
      expect(readdirSync(dir).filter((f) => f.startsWith('audit'))).toEqual([]);
    } finally {
      await off.close();
    }
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const broken = await connectClient('v2-2026', ['--emulator', emulator.file, '--audit-file', join(blocker, 'audit.jsonl')], serverEnv(dir));
    try {
      const r = await broken.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/\[AuditFailed\]/);
      expect(textOf(r)).toContain(join(blocker, 'audit.jsonl'));
      expect(textOf(r)).not.toContain(facts.vpnGuide.document.webUrl);
      expect(r.structuredContent).toBeUndefined();
    } finally {
      await broken.close();
    }
  });

  it('an unreadable hash key fails the call with AuditFailed (the arguments are hashed while Graph answers), and a repaired key is used next', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'audit-hash.key'), 'not a key');
    const client = await connectClient('v2-2026', ['--emulator', emulator.file], serverEnv(dir));
    try {
      for (let i = 0; i < 2; i++) {
        const r = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
        expect(r.isError).toBe(true);
        expect(textOf(r)).toMatch(/\[AuditFailed\]/);
        expect(textOf(r)).not.toContain(facts.vpnGuide.document.webUrl);
      }
      writeFileSync(join(dir, 'audit-hash.key'), 'ab'.repeat(32));
      const ok = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
      expect(ok.isError).toBeFalsy();
      const { records } = auditRecords(join(dir, 'audit.jsonl'));
      expect(records.map((r) => [r.tool, r.outcome, r.args['query']])).toEqual([['copilot_retrieve', 'ok', hmac(dir, facts.vpnGuide.query)]]);
    } finally {
      await client.close();
    }
  });

  it('records a call refused for its arguments, and the free text of every tool under the hashing policy (finding 5)', async () => {
    const dir = stateDir();
    const exportDir = mkdtempSync(join(tmpdir(), 'm365-audit-exports-'));
    const client = await connectClient('v2-2026', ['--emulator', emulator.file, '--enable-beta', '--export-dir', exportDir], serverEnv(dir));
    try {
      const refused = await client.callTool('copilot_export_interactions', { userId: 'not a user' });
      expect(textOf(refused)).toMatch(/\[InvalidArgument\]: invalid arguments for copilot_export_interactions: userId/);
      await client.callTool('copilot_search', { query: 'quarterly planning' });
      await client.callTool('copilot_chat', { message: 'what changed in the travel policy?' });
      await client.callTool('copilot_export_interactions_to_file', { userIds: [facts.interactions.user.id], outputFile: 'audited.jsonl', overwrite: false, maxSeconds: 30 });
      const { records } = auditRecords(join(dir, 'audit.jsonl'));
      expect(records.find((r) => r.tool === 'copilot_export_interactions')).toMatchObject({ outcome: 'error', errorCode: 'InvalidArgument', args: { userId: 'not a user' }, graph: [] });
      // Runs against the emulator are marked (issue 15, friction 10).
      expect(records.every((r) => r.emulated === true)).toBe(true);
      expect(records.find((r) => r.tool === 'copilot_search')!.args).toEqual({ query: hmac(dir, 'quarterly planning') });
      expect(records.find((r) => r.tool === 'copilot_chat')!.args).toEqual({ message: hmac(dir, 'what changed in the travel policy?') });
      expect(records.find((r) => r.tool === 'copilot_export_interactions_to_file')!.args).toEqual({ userIds: [facts.interactions.user.id], outputFile: 'audited.jsonl', overwrite: false, maxSeconds: 30 });
      expect(records.every((r) => !r.unrecordedArgs)).toBe(true);
    } finally {
      await client.close();
    }
  });
});
