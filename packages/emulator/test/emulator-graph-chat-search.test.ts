import { describe, expect, it } from 'vitest';
import { readableBy, tenantFacts } from '../src/data/facts.js';
import { generateTenant } from '../src/data/generate.js';
import { CHAT_SCOPES } from '../src/graphApi/chatEndpoint.js';
import { createGraphRouter } from '../src/graphApi/graphRouter.js';
import type { EmuUser, GraphCaller, GraphRequest, GraphResponse } from '../src/model.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const tenant = generateTenant({ now: new Date(NOW) });
const facts = tenantFacts(tenant);
const SCOPES = ['User.Read', 'Files.Read.All', ...CHAT_SCOPES];
const router = createGraphRouter(tenant, { clock: () => NOW });

function delegated(user: EmuUser, scopes: string[] = SCOPES): GraphCaller {
  return { kind: 'delegated', tenantId: tenant.id, userId: user.id, upn: user.upn, appId: tenant.apps.publicClient.clientId, scopes };
}
const appCaller: GraphCaller = { kind: 'app', tenantId: tenant.id, appId: tenant.apps.exportApp.clientId, roles: tenant.apps.exportApp.appRoles };

let n = 0;
function send(caller: GraphCaller, method: string, pathAndQuery: string, body?: unknown, version: 'beta' | 'v1.0' = 'beta'): Promise<GraphResponse> {
  const [path, query] = pathAndQuery.split('?');
  const req: GraphRequest = { method, path: path!, version, query: new URLSearchParams(query ?? ''), headers: {}, body, caller, requestId: `r-${++n}`, baseUrl: 'http://127.0.0.1:9999' };
  return router(req);
}
const errorOf = (res: GraphResponse) => (res.body as { error: { code: string; message: string } }).error;
const demo = delegated(facts.demoUser);

type Conversation = { id: string; state: string; turnCount: number; messages?: { '@odata.type': string; text: string; attributions?: { attributionType: string; attributionSource: string; seeMoreWebUrl: string; providerDisplayName: string }[]; sensitivityLabel?: { sensitivityLabelId: string; isEncrypted: boolean } | null }[] };
type SearchPage = { '@odata.nextLink'?: string; totalCount: number; searchHits: { webUrl: string; preview: string; resourceType: string; resourceMetadata: Record<string, string> }[] };

describe('beta Copilot Chat (emulated)', () => {
  const chatBody = (text: string) => ({ message: { text }, locationHint: { timeZone: 'America/New_York' } });

  it('creates a conversation (201) and answers with grounding citations and a label, counting turns', async () => {
    const created = await send(demo, 'POST', '/copilot/conversations', {});
    expect(created.status).toBe(201);
    const conv = created.body as Conversation;
    expect(conv).toMatchObject({ state: 'active', turnCount: 0, displayName: '' });
    expect(conv.id).toMatch(/^[0-9a-f-]{36}$/);

    const res = await send(demo, 'POST', `/copilot/conversations/${conv.id}/chat`, chatBody(facts.vpnGuide.query));
    expect(res.status).toBe(200);
    const turn = res.body as Conversation;
    expect(turn.turnCount).toBe(1);
    // Both are copilotConversationResponseMessage, the first recapping the prompt (chatoverstream.md, Example 1).
    expect(turn.messages?.map((m) => m['@odata.type'])).toEqual(['#microsoft.graph.copilotConversationResponseMessage', '#microsoft.graph.copilotConversationResponseMessage']);
    expect(turn.messages![0]).toMatchObject({ text: facts.vpnGuide.query, adaptiveCards: [], attributions: [], sensitivityLabel: { sensitivityLabelId: null, displayName: null, isEncrypted: null } });
    const answer = turn.messages![1]!;
    expect(answer.attributions![0]).toMatchObject({ attributionType: 'citation', attributionSource: 'grounding', seeMoreWebUrl: facts.vpnGuide.document.webUrl });
    expect(answer.text).toContain('[^1^]');
    expect(answer.sensitivityLabel?.sensitivityLabelId).toBeTruthy();

    // The SDK's namespaced action name reaches the same conversation.
    const again = await send(demo, 'POST', `/copilot/conversations/${conv.id}/microsoft.graph.copilot.chat`, chatBody('tell me more'));
    expect(again.status).toBe(200);
    expect((again.body as Conversation).turnCount).toBe(2);
  });

  it('never grounds on a file the caller cannot read', async () => {
    const outsider = delegated(facts.privateDoc.outsider);
    const conv = (await send(outsider, 'POST', '/copilot/conversations', {})).body as Conversation;
    const res = await send(outsider, 'POST', `/copilot/conversations/${conv.id}/chat`, chatBody(facts.privateDoc.query));
    const readable = new Set(readableBy(tenant, facts.privateDoc.outsider.id).documents.map((d) => d.webUrl));
    const urls = ((res.body as Conversation).messages![1]!.attributions ?? []).map((a) => a.seeMoreWebUrl);
    expect(urls).not.toContain(facts.privateDoc.document.webUrl);
    for (const u of urls) expect(readable.has(u)).toBe(true);
  });

  it('enforces beta, delegated tokens, all seven scopes, the licence, ownership and the body', async () => {
    expect((await send(demo, 'POST', '/copilot/conversations', {}, 'v1.0')).status).toBe(400);
    expect((await send(appCaller, 'POST', '/copilot/conversations', {})).status).toBe(403);
    const fewer = await send(delegated(facts.demoUser, ['Files.Read.All', 'Sites.Read.All']), 'POST', '/copilot/conversations', {});
    expect(fewer.status).toBe(403);
    expect(errorOf(fewer).message).toContain('Mail.Read');
    const unlicensed = await send(delegated(facts.unlicensedUser), 'POST', '/copilot/conversations', {});
    expect(unlicensed.status).toBe(403);
    expect(errorOf(unlicensed).message).toMatch(/license/i);

    const conv = (await send(demo, 'POST', '/copilot/conversations', {})).body as Conversation;
    expect((await send(delegated(facts.privateDoc.outsider), 'POST', `/copilot/conversations/${conv.id}/chat`, chatBody('hi'))).status).toBe(404);
    expect((await send(demo, 'POST', '/copilot/conversations/00000000-0000-0000-0000-000000000000/chat', chatBody('hi'))).status).toBe(404);
    for (const bad of [{}, { message: { text: 'hi' } }, { message: { text: '' }, locationHint: { timeZone: 'UTC' } }, { ...chatBody('hi'), locationHint: { timeZone: 'Mars/Olympus' } }, { ...chatBody('hi'), extra: 1 }]) {
      const res = await send(demo, 'POST', `/copilot/conversations/${conv.id}/chat`, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('streams a turn as documented: id lines, intermediate events (one with messages: []), then the whole turn', async () => {
    const conv = (await send(demo, 'POST', '/copilot/conversations', {})).body as Conversation;
    const stream = await send(demo, 'POST', `/copilot/conversations/${conv.id}/chatOverStream`, chatBody(facts.vpnGuide.query));
    expect(stream.status).toBe(200);
    expect(stream.headers?.['Content-Type']).toMatch(/^text\/event-stream/);
    expect(typeof stream.body).toBe('string');
    const ids: number[] = [];
    const events = (stream.body as string).split('\n\n').filter(Boolean).map((e) => {
      const [data, id, ...rest] = e.split('\n');
      expect(rest).toEqual([]);
      expect(data!.startsWith('data: ')).toBe(true);
      expect(id).toMatch(/^id:\d+$/);
      ids.push(Number(id!.slice(3)));
      return JSON.parse(data!.slice('data: '.length)) as Conversation & { displayName: string; agentId: unknown };
    });
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const intermediate = events.slice(0, -1);
    expect(intermediate.length).toBeGreaterThan(1);
    for (const e of intermediate) expect(e).toMatchObject({ displayName: 'Intermediate Conversation Update', turnCount: 0, agentId: null });
    expect(intermediate.some((e) => e.messages?.length === 0)).toBe(true);
    const texts = intermediate.filter((e) => e.messages?.length).map((e) => e.messages![0]!.text);
    for (let i = 1; i < texts.length; i++) expect(texts[i]!.startsWith(texts[i - 1]!)).toBe(true);
    const last = events[events.length - 1]!;
    expect(last.id).toBe(conv.id);
    expect(last.turnCount).toBe(1);
    expect(last.messages![1]!.text.startsWith(texts[texts.length - 1]!)).toBe(true);
    const attribution = last.messages![1]!.attributions![0]! as Record<string, unknown>;
    expect(attribution['seeMoreWebUrl']).toBe(facts.vpnGuide.document.webUrl);
    // Not nullable: empty strings when there is no image.
    expect(attribution).toMatchObject({ imageWebUrl: '', imageFavIcon: '', imageWidth: 0, imageHeight: 0 });
  });
});

describe('beta Copilot Search (emulated)', () => {
  const search = (caller: GraphCaller, body: unknown, version: 'beta' | 'v1.0' = 'beta') => send(caller, 'POST', '/copilot/search', body, version);

  it('pages through readable OneDrive files by nextLink, best first, without duplicates', async () => {
    const readable = new Set(readableBy(tenant, facts.demoUser.id).documents.filter((d) => d.source === 'oneDriveBusiness').map((d) => d.webUrl));
    let res = await search(demo, { query: 'project plan budget', pageSize: 2, dataSources: { oneDrive: { resourceMetadataNames: ['title', 'author'] } } });
    expect(res.status).toBe(200);
    const first = res.body as SearchPage;
    const total = first.totalCount;
    expect(total).toBeGreaterThan(2);
    const seen: string[] = [];
    let page = first;
    for (;;) {
      for (const h of page.searchHits) {
        expect(h.resourceType).toBe('driveItem');
        expect(Object.keys(h.resourceMetadata).sort()).toEqual(['author', 'title']);
        expect(readable.has(h.webUrl)).toBe(true);
      }
      seen.push(...page.searchHits.map((h) => h.webUrl));
      const next = page['@odata.nextLink'];
      if (!next) break;
      const url = new URL(next);
      expect(url.pathname).toBe('/beta/copilot/searchNextPage');
      res = await send(demo, 'GET', `/copilot/searchNextPage?${url.searchParams.toString()}`);
      expect(res.status).toBe(200);
      page = res.body as SearchPage;
    }
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);

    // A next page belongs to the user it was issued to.
    const token = new URL(first['@odata.nextLink']!).searchParams.get('$skipToken')!;
    const other = await send(delegated(facts.privateDoc.outsider), 'GET', `/copilot/searchNextPage?$skipToken=${encodeURIComponent(token)}`);
    expect(other.status).toBe(400);
  });

  it('applies a path: filter and refuses other KQL, bad page sizes, v1.0, app tokens and unlicensed users', async () => {
    const doc = facts.privateDoc.document;
    const filtered = await search(demo, { query: facts.privateDoc.query, dataSources: { oneDrive: { filterExpression: `path:"${doc.path}"` } } });
    expect(filtered.status).toBe(200);
    expect((filtered.body as SearchPage).searchHits.map((h) => h.webUrl)).toContain(doc.webUrl);
    for (const h of (filtered.body as SearchPage).searchHits) expect(h.webUrl.startsWith(doc.path)).toBe(true);
    expect((await search(demo, { query: 'x', dataSources: { oneDrive: { filterExpression: 'author:"Megan"' } } })).status).toBe(400);
    expect((await search(demo, { query: 'x', pageSize: 101 })).status).toBe(400);
    expect((await search(demo, { query: '' })).status).toBe(400);
    expect((await search(demo, { query: 'x'.repeat(1501) })).status).toBe(400);
    expect((await search(demo, { query: 'budget' }, 'v1.0')).status).toBe(400);
    expect((await search(appCaller, { query: 'budget' })).status).toBe(403);
    expect((await search(delegated(facts.demoUser, ['Files.Read.All']), { query: 'budget' })).status).toBe(403);
    expect((await search(delegated(facts.unlicensedUser), { query: 'budget' })).status).toBe(403);
  });
});
