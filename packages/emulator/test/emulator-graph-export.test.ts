import { describe, expect, it } from 'vitest';
import { tenantFacts } from '../src/data/facts.js';
import { generateTenant } from '../src/data/generate.js';
import { createGraphRouter } from '../src/graphApi/graphRouter.js';
import type { EmuInteraction, GraphCaller, GraphRequest, GraphResponse } from '../src/model.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const BASE = 'http://127.0.0.1:9999';
const tenant = generateTenant({ now: new Date(NOW) });
const facts = tenantFacts(tenant);
const router = createGraphRouter(tenant, { clock: () => NOW });
const exportApp: GraphCaller = { kind: 'app', tenantId: tenant.id, appId: tenant.apps.exportApp.clientId, roles: ['AiEnterpriseInteraction.Read.All'] };
const demoInteractions = tenant.interactions.get(facts.demoUser.id) ?? [];
const BIZCHAT = 'IPM.SkypeTeams.Message.Copilot.BizChat';
const WORD = 'IPM.SkypeTeams.Message.Copilot.Word';

interface Page {
  '@odata.context': string;
  '@odata.nextLink'?: string;
  value: Record<string, unknown>[];
}

function get(path: string, query = '', caller: GraphCaller = exportApp): Promise<GraphResponse> {
  const req: GraphRequest = { method: 'GET', path, version: 'v1.0', query: new URLSearchParams(query), headers: {}, body: undefined, caller, requestId: 'r1', baseUrl: BASE };
  return router(req);
}

function exportPath(userId: string): string {
  return `/copilot/users/${userId}/interactionHistory/getAllEnterpriseInteractions`;
}

/** Follows nextLink the way a client does: the whole URL, as given. */
async function exportAll(userId: string, query: string): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let res = await get(exportPath(userId), query);
  let pages = 0;
  for (;;) {
    expect(res.status).toBe(200);
    const page = res.body as Page;
    pages++;
    items.push(...page.value);
    const next = page['@odata.nextLink'];
    if (!next) return { items, pages };
    const url = new URL(next);
    expect(url.origin).toBe(BASE);
    expect(url.pathname.startsWith('/v1.0/')).toBe(true);
    res = await get(decodeURIComponent(url.pathname.slice('/v1.0'.length)), url.search);
  }
}

function ids(list: readonly { id?: unknown }[]): string[] {
  return list.map((i) => String(i.id));
}

function errorCode(res: GraphResponse): string {
  return (res.body as { error: { code: string } }).error.code;
}

describe('GET getAllEnterpriseInteractions', () => {
  it('pages through everything exactly once, oldest first', async () => {
    const { items, pages } = await exportAll(facts.demoUser.id, '$top=100');
    expect(items).toHaveLength(facts.interactions.total);
    expect(ids(items)).toEqual(ids(demoInteractions));
    expect(pages).toBe(Math.ceil(facts.interactions.total / 100));
  });

  it('defaults to 10 per page with an absolute nextLink carrying the query', async () => {
    const res = await get(exportPath(facts.demoUser.id));
    const page = res.body as Page;
    expect(page.value).toHaveLength(10);
    expect(page['@odata.context']).toBe(`${BASE}/v1.0/$metadata#Collection(microsoft.graph.aiInteraction)`);
    expect(page['@odata.nextLink']).toMatch(new RegExp(`^${BASE}/v1\\.0/copilot/users/${facts.demoUser.id}/interactionHistory/getAllEnterpriseInteractions\\?\\$top=10&\\$skiptoken=`));
  });

  it('filters by appClass (with or), exactly the filtered set across pages', async () => {
    const filter = `appClass eq '${BIZCHAT}' or appClass eq '${WORD}'`;
    const { items } = await exportAll(facts.demoUser.id, `$filter=${encodeURIComponent(filter)}&$top=37`);
    const expected = demoInteractions.filter((i) => i.appClass === BIZCHAT || i.appClass === WORD);
    expect(ids(items)).toEqual(ids(expected));
    expect(items.length).toBe((facts.interactions.byAppClass[BIZCHAT] ?? 0) + (facts.interactions.byAppClass[WORD] ?? 0));
  });

  it('filters by a createdDateTime window combined with appClass', async () => {
    const lo = new Date(NOW - 60 * 86_400_000).toISOString();
    const hi = new Date(NOW - 30 * 86_400_000).toISOString();
    const filter = `(appClass eq '${BIZCHAT}') and createdDateTime ge ${lo} and createdDateTime lt ${hi}`;
    const { items } = await exportAll(facts.demoUser.id, `$filter=${encodeURIComponent(filter)}&$top=25`);
    const expected = demoInteractions.filter((i) => i.appClass === BIZCHAT && i.createdDateTime >= lo && i.createdDateTime < hi);
    expect(expected.length).toBeGreaterThan(25);
    expect(ids(items)).toEqual(ids(expected));

    const window = `createdDateTime gt ${lo} and createdDateTime le ${hi}`;
    const all = await exportAll(facts.demoUser.id, `$filter=${encodeURIComponent(window)}&$top=100`);
    expect(ids(all.items)).toEqual(ids(demoInteractions.filter((i) => i.createdDateTime > lo && i.createdDateTime <= hi)));
  });

  it('renders the aiInteraction shape', async () => {
    const filter = `appClass eq '${BIZCHAT}'`;
    const { items } = await exportAll(facts.demoUser.id, `$filter=${encodeURIComponent(filter)}&$top=100`);
    const prompt = items.find((i) => i['interactionType'] === 'userPrompt') as Record<string, any>;
    const record = demoInteractions.find((i) => i.id === prompt['id']) as EmuInteraction;
    expect(prompt).toMatchObject({
      id: record.id,
      etag: record.id,
      sessionId: record.sessionId,
      requestId: record.requestId,
      appClass: BIZCHAT,
      conversationType: 'bizchat',
      createdDateTime: record.createdDateTime,
      locale: 'en-us',
      body: { contentType: 'text', content: record.body },
      from: {
        '@odata.type': '#microsoft.graph.chatMessageFromIdentitySet',
        application: null,
        device: null,
        user: { '@odata.type': '#microsoft.graph.teamworkUserIdentity', id: facts.demoUser.id, displayName: `8:orgid:${facts.demoUser.id}`, userIdentityType: 'aadUser', tenantId: tenant.id },
      },
    });
    const response = items.find((i) => i['requestId'] === prompt['requestId'] && i['interactionType'] === 'aiResponse') as Record<string, any>;
    expect(response['from']).toMatchObject({ user: null, application: { id: 'fb8d773d-7ef8-4ec0-a117-179f88add510', displayName: 'Microsoft 365 Chat', applicationIdentityType: 'bot' } });
    const withCard = items.find((i) => (i['attachments'] as unknown[]).length > 0) as Record<string, any>;
    expect(withCard['body'].content).toContain(`<attachment id="${withCard['attachments'][0].attachmentId}">`);
    expect(withCard['attachments'][0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, name: null });
    const mention = items.flatMap((i) => i['mentions'] as Record<string, any>[])[0];
    expect(mention?.['mentioned'].user).toMatchObject({ '@odata.type': '#microsoft.graph.teamworkUserIdentity', userIdentityType: 'aadUser' });
    expect(mention?.['mentioned'].user.displayName).toBe(mention?.['mentionText']);
  });

  it('accepts case-insensitive segments and the function with ()', async () => {
    const lower = await get(`/copilot/users/${facts.demoUser.id}/interactionhistory/getallenterpriseinteractions()`, '$top=3');
    expect(lower.status).toBe(200);
    expect(lower.route).toBe('GET /copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions');
    expect((lower.body as Page).value).toHaveLength(3);
  });

  it('returns an empty collection for users without a licence', async () => {
    const res = await get(exportPath(facts.unlicensedUser.id));
    expect(res.status).toBe(200);
    expect((res.body as Page).value).toEqual([]);
    expect((res.body as Page)['@odata.nextLink']).toBeUndefined();
  });

  it('is app-only and needs AiEnterpriseInteraction.Read.All', async () => {
    const delegated: GraphCaller = { kind: 'delegated', tenantId: tenant.id, userId: facts.demoUser.id, upn: facts.demoUser.upn, appId: 'x', scopes: ['AiEnterpriseInteraction.Read.All'] };
    const asUser = await get(exportPath(facts.demoUser.id), '', delegated);
    expect(asUser.status).toBe(403);
    expect((asUser.body as { error: { message: string } }).error.message).toMatch(/delegated permissions are not supported/i);
    const noRole = await get(exportPath(facts.demoUser.id), '', { ...exportApp, roles: ['User.Read.All'] });
    expect(noRole.status).toBe(403);
  });

  it('answers 404 for an unknown user id', async () => {
    expect((await get(exportPath('00000000-0000-4000-8000-000000000000'))).status).toBe(404);
    expect((await get(exportPath(facts.demoUser.upn))).status).toBe(404);
  });

  it('rejects bad $top, $filter and $skiptoken with 400', async () => {
    const bad = [
      '$top=0',
      '$top=101',
      '$top=ten',
      `$filter=${encodeURIComponent(`createdDateTime gt 2025-01-01T00:00:00Z`)}`,
      `$filter=${encodeURIComponent(`createdDateTime lt 2025-01-01T00:00:00Z`)}`,
      `$filter=${encodeURIComponent(`createdDateTime gt '2025-01-01T00:00:00Z' and createdDateTime lt '2025-02-01T00:00:00Z'`)}`,
      `$filter=${encodeURIComponent(`createdDateTime gt yesterday and createdDateTime lt 2025-02-01T00:00:00Z`)}`,
      `$filter=${encodeURIComponent(`appClass ne '${BIZCHAT}'`)}`,
      `$filter=${encodeURIComponent(`appClass eq BizChat`)}`,
      `$filter=${encodeURIComponent(`conversationType eq 'bizchat'`)}`,
      `$filter=${encodeURIComponent(`appClass eq '${BIZCHAT}' or createdDateTime gt 2025-01-01T00:00:00Z`)}`,
      `$filter=${encodeURIComponent(`(appClass eq '${BIZCHAT}'`)}`,
      `$filter=${encodeURIComponent(`startswith(appClass,'IPM')`)}`,
      '$skiptoken=garbage',
      '$orderby=createdDateTime desc',
    ];
    for (const query of bad) {
      const res = await get(exportPath(facts.demoUser.id), query);
      expect(res.status, query).toBe(400);
      expect(errorCode(res)).toBe('BadRequest');
    }
    const res = await get(exportPath(facts.demoUser.id), `$filter=${encodeURIComponent('createdDateTime gt 2025-01-01T00:00:00Z')}`);
    expect((res.body as { error: { message: string } }).error.message).toMatch(/lower bound.*upper bound/);
  });

  it('does not accept a skip token made for another user', async () => {
    const first = (await get(exportPath(facts.demoUser.id), '$top=2')).body as Page;
    const token = new URL(first['@odata.nextLink'] as string).searchParams.get('$skiptoken') as string;
    const res = await get(exportPath(facts.licensedUser.id), `$skiptoken=${encodeURIComponent(token)}`);
    expect(res.status).toBe(400);
  });
});
