import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { deviceCodeTokens } from '../helpers/emulatorToken.js';
import { connectClient, textOf, type McpTestClient, type ToolResult } from '../helpers/mcpClients.js';
import { signInAs } from '../helpers/signIn.js';
import { factsOf } from './facts.js';

const BETA = ['copilot_chat', 'copilot_search'];

type Label = { id: string; name?: string; priority?: number };
type Chat = { conversationId: string; turnCount?: number; answer: string; citations: { title?: string; url: string; label?: Label }[]; sensitivityLabel?: Label };
type Search = { hits: { url: string; title?: string; preview?: string }[]; totalCount?: number; nextCursor?: string };
const structured = <T>(r: ToolResult) => r.structuredContent as T;

let emulator: EmulatorProcess;
let facts: TenantFacts;
const clients: McpTestClient[] = [];

beforeAll(async () => {
  emulator = await useSharedEmulator({ retrievalBudgetPerHour: 1000, deviceCodeIntervalSec: 1 });
  facts = await factsOf(emulator);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emulator?.stop();
});

async function connect(args: string[], env: Record<string, string> = {}): Promise<McpTestClient> {
  const c = await connectClient('v2-2026', ['--emulator', emulator.file, '--sign-in-wait', '0', ...args], env);
  clients.push(c);
  return c;
}

async function connectAs(upn: string, extra: string[] = []): Promise<McpTestClient> {
  const c = await connect(['--enable-beta', ...extra]);
  await signInAs(c, emulator, upn);
  return c;
}

async function readableUrls(upn: string): Promise<Set<string>> {
  const res = await emulator.control(`/facts/readable?user=${encodeURIComponent(upn)}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { documents: { webUrl: string; source: string }[] };
  return new Set(body.documents.map((d) => d.webUrl));
}

describe('beta tools (copilot_chat, copilot_search)', () => {
  it('are not listed by default', async () => {
    const c = await connect([]);
    const names = (await c.listTools()).tools.map((t) => t.name);
    expect(names).toContain('copilot_retrieve');
    for (const name of BETA) expect(names).not.toContain(name);
  });

  it('are listed with --enable-beta (and M365_COPILOT_MCP_ENABLE_BETA), marked [BETA] (their schemas: test/snapshots/tools/)', async () => {
    const byFlag = await connect(['--enable-beta']);
    const { tools } = await byFlag.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['copilot_retrieve', ...BETA]));
    const beta = tools.filter((t) => BETA.includes(t.name)).map((t) => ({ name: t.name, title: t.title, description: t.description, annotations: t.annotations, inputSchema: t.inputSchema, outputSchema: t.outputSchema }));
    for (const t of beta) {
      expect(t.description).toMatch(/^\[BETA\] /);
      expect(t.description).toMatch(/may change/);
      expect(t.outputSchema).toBeTruthy();
      expect(t.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
    }

    const byEnv = await connect([], { M365_COPILOT_MCP_ENABLE_BETA: 'true' });
    expect((await byEnv.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(BETA));
  });

  it('copilot_chat cites only documents the user may read, and keeps the conversation across turns', async () => {
    const { privateDoc } = facts;
    // The owner's answer is grounded in their private file...
    const owner = await connectAs(privateDoc.owner.upn);
    const mine = await owner.callTool('copilot_chat', { message: privateDoc.query, timeZone: 'Europe/Berlin' });
    expect(mine.isError, textOf(mine)).toBeFalsy();
    const ownerChat = structured<Chat>(mine);
    expect(ownerChat.citations.map((c) => c.url)).toContain(privateDoc.document.webUrl);
    expect(ownerChat.answer).toMatch(/\[\^1\^\]/);
    const ownerReadable = await readableUrls(privateDoc.owner.upn);
    for (const c of ownerChat.citations) expect(ownerReadable.has(c.url), c.url).toBe(true);

    // ...an outsider asking the same never sees it, and every citation is something they may read.
    const outsider = await connectAs(privateDoc.outsider.upn);
    const theirs = await outsider.callTool('copilot_chat', { message: privateDoc.query });
    expect(theirs.isError, textOf(theirs)).toBeFalsy();
    const outsiderChat = structured<Chat>(theirs);
    const outsiderReadable = await readableUrls(privateDoc.outsider.upn);
    expect(outsiderChat.citations.map((c) => c.url)).not.toContain(privateDoc.document.webUrl);
    for (const c of outsiderChat.citations) expect(outsiderReadable.has(c.url), c.url).toBe(true);
    expect(outsiderChat.answer).not.toContain(privateDoc.document.title);

    // A follow-up in the same conversation keeps its id and counts the turn.
    const first = structured<Chat>(await owner.callTool('copilot_chat', { message: facts.vpnGuide.query }));
    expect(first.turnCount).toBe(1);
    expect(first.citations.map((c) => c.url)).toContain(facts.vpnGuide.document.webUrl);
    expect(first.sensitivityLabel?.id).toBeTruthy();
    const follow = await owner.callTool('copilot_chat', { message: 'and who wrote it?', conversationId: first.conversationId });
    expect(follow.isError, textOf(follow)).toBeFalsy();
    const second = structured<Chat>(follow);
    expect(second.conversationId).toBe(first.conversationId);
    expect(second.turnCount).toBe(2);
    expect(second.citations.length).toBeGreaterThan(0);

    // Someone else's conversation id is not found, as if it never existed.
    const stolen = await outsider.callTool('copilot_chat', { message: 'hello', conversationId: first.conversationId });
    expect(stolen.isError).toBe(true);
    expect(textOf(stolen)).toMatch(/\[NotFound\]/);
    expect(textOf(stolen)).toMatch(/Next step:.*without conversationId/);
  });

  it('copilot_search pages with a cursor to the end, without duplicates, only readable OneDrive files', async () => {
    const demo = await connectAs(facts.demoUser.upn);
    const readable = await readableUrls(facts.demoUser.upn);
    const query = 'project plan budget';
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let total: number | undefined;
    do {
      const r = await demo.callTool('copilot_search', { query, pageSize: 2, ...(cursor ? { cursor } : {}) });
      expect(r.isError, textOf(r)).toBeFalsy();
      const page = structured<Search>(r);
      pages++;
      total ??= page.totalCount;
      expect(page.hits.length).toBeLessThanOrEqual(2);
      for (const h of page.hits) {
        expect(readable.has(h.url), h.url).toBe(true);
        expect(h.preview).toBeTruthy();
        expect(h.title).toBeTruthy();
      }
      seen.push(...page.hits.map((h) => h.url));
      cursor = page.nextCursor;
    } while (cursor && pages < 50);
    expect(cursor).toBeUndefined();
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(total);

    const folder = facts.privateDoc.document.path;
    const inFolder = structured<Search>(await demo.callTool('copilot_search', { query: facts.privateDoc.query, folder }));
    expect(inFolder.hits.map((h) => h.url)).toContain(facts.privateDoc.document.webUrl);
    for (const h of inFolder.hits) expect(h.url.startsWith(folder)).toBe(true);

    const forged = await demo.callTool('copilot_search', { query, cursor: 'not-a-cursor' });
    expect(forged.isError).toBe(true);
    expect(textOf(forged)).toMatch(/\[InvalidArgument\]/);
    // A cursor is only ever a next page of Search, never any other Graph URL.
    const elsewhere = `s1.${Buffer.from(`${emulator.descriptor.graphBaseUrl}/v1.0/me`).toString('base64url')}`;
    const redirected = await demo.callTool('copilot_search', { query, cursor: elsewhere });
    expect(redirected.isError).toBe(true);
    expect(textOf(redirected)).toMatch(/\[InvalidArgument\]/);
  });

  it('the label policy withholds a labelled chat answer (sources stay citable) and every search preview', async () => {
    const c = await connectAs(facts.demoUser.upn, ['--withhold-label-priority-above', String(facts.vpnGuide.label.priority - 1)]);
    const r = await c.callTool('copilot_chat', { message: facts.vpnGuide.query }, { onprogress: () => {} });
    // Counted on the wire: the SDK client drops a notification that shares a chunk with the answer.
    const progress = c.notifications().filter((n) => n.method === 'notifications/progress').map((n) => n.params!['progress'] as number);
    expect(r.isError, textOf(r)).toBeFalsy();
    const chat = structured<Chat & { withheld?: string }>(r);
    expect(chat.withheld).toBe('policy');
    expect(chat.answer).toBe('');
    expect(chat.sensitivityLabel!.priority).toBeGreaterThanOrEqual(facts.vpnGuide.label.priority);
    expect(chat.citations.map((x) => x.url)).toContain(facts.vpnGuide.document.webUrl);
    expect(textOf(r)).not.toContain(facts.vpnGuide.document.chunks[0]!.slice(0, 40));
    // Asking, then one notification per streamed event (chatOverStream), increasing; never the withheld text.
    expect(progress[0]).toBe(1);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.every((p, i) => i === 0 || p > progress[i - 1]!)).toBe(true);

    const s = structured<Search & { withheld?: string }>(await c.callTool('copilot_search', { query: 'project plan budget' }));
    expect(s.withheld).toBe('policy');
    expect(s.hits.length).toBeGreaterThan(0);
    for (const h of s.hits) expect(h.preview).toBeUndefined();
  });

  it('the emulator serves chatOverStream over HTTP as text/event-stream, each event a whole conversation', async () => {
    const scopes = ['Sites.Read.All', 'Mail.Read', 'People.Read.All', 'OnlineMeetingTranscript.Read.All', 'Chat.Read', 'ChannelMessage.Read.All', 'ExternalItem.Read.All'];
    const { access_token } = await deviceCodeTokens(emulator, facts.demoUser.upn, scopes);
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${emulator.descriptor.graphBaseUrl}/beta${path}`, { method: 'POST', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
    };
    const created = await post('/copilot/conversations', {});
    expect(created.status).toBe(201);
    const id = (JSON.parse(created.text) as { id: string }).id;
    const streamed = await post(`/copilot/conversations/${id}/chatOverStream`, { message: { text: facts.vpnGuide.query }, locationHint: { timeZone: 'UTC' } });
    expect(streamed.status).toBe(200);
    expect(streamed.type).toMatch(/^text\/event-stream/);
    // Each event: a data line, then its id line (chatoverstream.md, Example 1).
    const events = streamed.text
      .split('\n\n')
      .filter(Boolean)
      .map((e) => {
        const [data, id] = e.split('\n');
        expect(id).toMatch(/^id:\d+$/);
        return JSON.parse(data!.replace(/^data: /, '')) as { id: string; messages: { text: string; attributions: { seeMoreWebUrl: string }[] }[] };
      });
    expect(events.length).toBeGreaterThan(1);
    const last = events[events.length - 1]!;
    expect(last.id).toBe(id);
    expect(last.messages[1]!.attributions.map((a) => a.seeMoreWebUrl)).toContain(facts.vpnGuide.document.webUrl);
  });

  it('an unlicensed user gets LicenseRequired with a next step from both tools', async () => {
    const c = await connectAs(facts.unlicensedUser.upn);
    for (const [name, args] of [
      ['copilot_chat', { message: facts.vpnGuide.query }],
      ['copilot_search', { query: 'budget' }],
    ] as const) {
      const r = await c.callTool(name, args);
      expect(r.isError, name).toBe(true);
      expect(textOf(r)).toMatch(/\[LicenseRequired\]/);
      expect(textOf(r)).toMatch(/Next step:/);
    }
  });
});
