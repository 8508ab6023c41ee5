import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import type { AuditRecord } from '../../src/policy/auditTrail.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { ERAS, type Era, type McpTestClient, type ToolResult } from '../helpers/mcpClients.js';
import { CLI } from '../helpers/paths.js';
import { signInAs } from '../helpers/signIn.js';
import { factsOf } from './facts.js';

/** The resource/prompt/completion calls both SDK clients spell the same way (mcpClients.ts covers tools only). */
interface SurfaceClient {
  callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  listResourceTemplates(): Promise<{ resourceTemplates: { name: string; uriTemplate: string; mimeType?: string }[] }>;
  listResources(): Promise<{ resources: { uri: string }[] }>;
  readResource(p: { uri: string }): Promise<{ contents: { uri: string; mimeType?: string; text?: string }[] }>;
  complete(p: { ref: { type: 'ref/resource'; uri: string }; argument: { name: string; value: string }; context?: { arguments: Record<string, string> } }): Promise<{ completion: { values: string[] } }>;
  listPrompts(): Promise<{ prompts: { name: string; arguments?: { name: string; required?: boolean }[] }[] }>;
  getPrompt(p: { name: string; arguments?: Record<string, string> }): Promise<{ messages: { role: string; content: { type: string; text?: string } }[] }>;
  getServerCapabilities(): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

type Connected = { surface: SurfaceClient; tools: McpTestClient; stateDir: string };

async function connect(era: Era, emulatorFile: string): Promise<Connected> {
  const home = mkdtempSync(join(tmpdir(), 'm365-mcp-resources-'));
  const env = { PATH: process.env['PATH'] ?? '', HOME: home, M365_COPILOT_MCP_STATE_DIR: home, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' };
  const params = { command: process.execPath, args: [CLI, '--emulator', emulatorFile, '--sign-in-wait', '0'], env, stderr: 'ignore' as const };
  const client =
    era === 'v1-2025'
      ? new ClientV1({ name: 'resources-v1', version: '1' })
      : new ClientV2({ name: 'resources-v2', version: '2' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await (client as ClientV1).connect((era === 'v1-2025' ? new StdioV1(params) : new StdioV2(params)) as never);
  const surface = client as unknown as SurfaceClient;
  const tools: McpTestClient = {
    era,
    listTools: () => Promise.reject(new Error('not used here')),
    callTool: (name, a = {}) => surface.callTool({ name, arguments: a }) as Promise<ToolResult>,
    readResource: (uri) => surface.readResource({ uri }),
    stderr: () => '',
    notifications: () => [],
    close: () => surface.close(),
  };
  return { surface, tools, stateDir: home };
}

const enc = encodeURIComponent;
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

let emulator: EmulatorProcess;
let facts: TenantFacts;

beforeAll(async () => {
  emulator = await useSharedEmulator({ deviceCodeIntervalSec: 1 });
  facts = await factsOf(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

describe.each(ERAS)('resources and prompts over stdio, %s client', (era) => {
  let c: Connected;

  beforeAll(async () => {
    c = await connect(era, emulator.file);
    await signInAs(c.tools, emulator, facts.demoUser.upn);
  });
  afterAll(async () => {
    await c?.surface.close();
  });

  it('declares resources and prompts (not list-changing) beside the unchanged tools capability', () => {
    const caps = c.surface.getServerCapabilities() ?? {};
    expect(caps['tools']).toEqual({ listChanged: false });
    expect(caps['resources']).toMatchObject({ listChanged: false });
    expect(caps['prompts']).toMatchObject({ listChanged: false });
  });

  it('lists the two resource templates, markdown both, and no concrete resources', async () => {
    const { resourceTemplates } = await c.surface.listResourceTemplates();
    expect(resourceTemplates.map((t) => [t.name, t.uriTemplate, t.mimeType]).sort()).toEqual([
      ['interaction_session', 'm365copilot://interactions/{userId}/sessions/{sessionId}', 'text/markdown'],
      ['meeting_insight', 'm365copilot://meetings/{meetingId}/insights/{insightId}', 'text/markdown'],
    ]);
    expect((await c.surface.listResources()).resources).toEqual([]);
  });

  it('reads a meeting insight as markdown with its notes, subpoints, action items and owners', async () => {
    const { meeting, insight } = facts.meetings.withInsights;
    const uri = `m365copilot://meetings/${enc(meeting.id)}/insights/${enc(insight.id)}`;
    const { contents } = await c.surface.readResource({ uri });
    expect(contents).toHaveLength(1);
    expect(contents[0]).toMatchObject({ uri, mimeType: 'text/markdown' });
    const md = contents[0]!.text!;
    expect(md).toContain('## Notes');
    for (const n of insight.meetingNotes) {
      expect(md).toContain(`**${oneLine(n.title)}**: ${oneLine(n.text)}`);
      for (const s of n.subpoints) expect(md).toContain(`  - **${oneLine(s.title)}**: ${oneLine(s.text)}`);
    }
    for (const a of insight.actionItems) expect(md).toContain(`- [ ] **${oneLine(a.title)}** (owner: ${a.ownerDisplayName}): ${oneLine(a.text)}`);
    const mentions = insight.mentionsByUser[facts.demoUser.id] ?? [];
    for (const m of mentions) expect(md).toContain(oneLine(m.transcriptUtterance));
  });

  it('writes one audit record per resource read, with its Graph calls and the caller', async () => {
    const path = join(c.stateDir, 'audit.jsonl');
    const reads = () => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord) : []).filter((r) => r.tool === 'resource:meeting_insight');
    const before = reads().length;
    const { meeting, insight } = facts.meetings.withInsights;
    await c.surface.readResource({ uri: `m365copilot://meetings/${enc(meeting.id)}/insights/${enc(insight.id)}` });
    const after = reads();
    expect(after).toHaveLength(before + 1);
    const last = after.at(-1)!;
    expect(last).toMatchObject({ outcome: 'ok', transport: 'stdio', caller: { userId: facts.demoUser.id } });
    expect(last.graph.some((g) => JSON.stringify(g).includes('aiInsights'))).toBe(true);
  });

  it('completes meetingId from the calendar (newest first) and insightId from that meeting', async () => {
    const latest = (await c.tools.callTool('copilot_meeting_insights', { latest: true })).structuredContent as { meeting?: { id: string } };
    const template = 'm365copilot://meetings/{meetingId}/insights/{insightId}';
    const meetings = await c.surface.complete({ ref: { type: 'ref/resource', uri: template }, argument: { name: 'meetingId', value: '' } });
    expect(meetings.completion.values[0]).toBe(latest.meeting?.id);
    const prefix = meetings.completion.values[0]!.slice(0, 3);
    const narrowed = await c.surface.complete({ ref: { type: 'ref/resource', uri: template }, argument: { name: 'meetingId', value: prefix } });
    expect(narrowed.completion.values.every((v) => v.startsWith(prefix))).toBe(true);

    const two = facts.meetings.twoTranscripts;
    const insights = await c.surface.complete({ ref: { type: 'ref/resource', uri: template }, argument: { name: 'insightId', value: '' }, context: { arguments: { meetingId: enc(two.id) } } });
    expect([...insights.completion.values].sort()).toEqual(two.insights.map((i) => i.id).sort());
    const none = await c.surface.complete({ ref: { type: 'ref/resource', uri: template }, argument: { name: 'insightId', value: '' } });
    expect(none.completion.values).toEqual([]);
  });

  it('answers not-found for an unknown insight, meeting or session, naming the next step', async () => {
    const { meeting } = facts.meetings.withInsights;
    await expect(c.surface.readResource({ uri: `m365copilot://meetings/${enc(meeting.id)}/insights/nope` })).rejects.toThrow(/NotFound.*no insight nope.*Next step/s);
    await expect(c.surface.readResource({ uri: `m365copilot://meetings/${enc(facts.meetings.notAttended.id)}/insights/x` })).rejects.toThrow(/NotFound/);
    await expect(c.surface.readResource({ uri: `m365copilot://interactions/${facts.interactions.user.id}/sessions/${enc('19:nosuch@thread.v2')}` })).rejects.toThrow(/no Copilot session 19:nosuch@thread\.v2/);
    await expect(c.surface.readResource({ uri: 'm365copilot://elsewhere/x' })).rejects.toThrow(/not found/i);
    await expect(c.surface.readResource({ uri: `m365copilot://interactions/not%20a%20user/sessions/x` })).rejects.toThrow(/InvalidArgument.*userId/s);
  });

  it('reads one exported conversation as markdown: every exchange of the session, paired, oldest first', async () => {
    const page = (await c.tools.callTool('copilot_export_interactions', { userId: facts.interactions.user.id, limit: 1000 })).structuredContent as {
      exchanges: { sessionId: string; interactions: { type: string; text: string; time: string }[] }[];
    };
    const sessionId = page.exchanges.find((e) => e.interactions.length >= 2)!.sessionId;
    const exchanges = page.exchanges.filter((e) => e.sessionId === sessionId);
    const uri = `m365copilot://interactions/${enc(facts.interactions.user.upn)}/sessions/${enc(sessionId)}`;
    const { contents } = await c.surface.readResource({ uri });
    const md = contents[0]!.text!;
    expect(contents[0]!.mimeType).toBe('text/markdown');
    expect(md).toContain(`Session: \`${sessionId}\``);
    expect(md).toContain(`Exchanges: ${exchanges.length}`);
    const prompts = exchanges.flatMap((e) => e.interactions.filter((i) => i.type === 'prompt').map((i) => i.text.trim()));
    let at = -1;
    for (const p of prompts) {
      const next = md.indexOf(p, at + 1);
      expect(next, p).toBeGreaterThan(at);
      at = next;
    }
    expect(md.indexOf('**Prompt**')).toBeLessThan(md.indexOf('**Response**'));
  });

  it('lists the three prompts with their arguments', async () => {
    const { prompts } = await c.surface.listPrompts();
    const byName = Object.fromEntries(prompts.map((p) => [p.name, (p.arguments ?? []).map((a) => [a.name, a.required ?? false])]));
    expect(byName).toEqual({
      meeting_action_items: [['joinUrl', false]],
      grounded_answer: [['question', true]],
      review_copilot_activity: [['userId', true], ['since', true], ['until', true]],
    });
  });

  it('gets each prompt with valid arguments: messages naming the tool to call', async () => {
    const latest = await c.surface.getPrompt({ name: 'meeting_action_items' });
    expect(latest.messages[0]!.content.text).toMatch(/copilot_meeting_insights with \{"latest": true\}/);
    const joinUrl = facts.meetings.withInsights.meeting.joinWebUrl;
    expect((await c.surface.getPrompt({ name: 'meeting_action_items', arguments: { joinUrl } })).messages[0]!.content.text).toContain(JSON.stringify(joinUrl));
    const grounded = await c.surface.getPrompt({ name: 'grounded_answer', arguments: { question: 'How do I set up the VPN?' } });
    expect(grounded.messages[0]).toMatchObject({ role: 'user' });
    expect(grounded.messages[0]!.content.text).toMatch(/How do I set up the VPN\?[\s\S]*copilot_retrieve[\s\S]*\(url\)/);
    const review = await c.surface.getPrompt({ name: 'review_copilot_activity', arguments: { userId: facts.interactions.user.upn, since: '2026-11-01', until: '2026-11-20' } });
    expect(review.messages[0]!.content.text).toContain(`copilot_export_interactions with {"userId":"${facts.interactions.user.upn}","since":"2026-11-01","until":"2026-11-20","limit":200}`);
  });

  it('refuses invalid prompt arguments with a clear error naming the argument', async () => {
    const get = (name: string, args: Record<string, string>) => c.surface.getPrompt({ name, arguments: args });
    await expect(get('grounded_answer', {})).rejects.toThrow(/Invalid arguments for prompt grounded_answer[\s\S]*question/);
    await expect(get('review_copilot_activity', { userId: 'not a user', since: '2026-11-01', until: '2026-11-20' })).rejects.toThrow(/userId[\s\S]*GUID|GUID[\s\S]*userId/);
    await expect(get('review_copilot_activity', { userId: facts.interactions.user.id, since: 'yesterday', until: '2026-11-20' })).rejects.toThrow(/ISO 8601/);
    await expect(get('review_copilot_activity', { userId: facts.interactions.user.id, since: '2026-11-20', until: '2026-11-01' })).rejects.toThrow(/until must be later than since/);
    await expect(get('meeting_action_items', { joinUrl: 'not a url' })).rejects.toThrow(/joinUrl/);
    await expect(get('no_such_prompt', {})).rejects.toThrow(/no_such_prompt not found/);
  });
});
