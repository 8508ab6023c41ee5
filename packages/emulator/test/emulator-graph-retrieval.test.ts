import { describe, expect, it } from 'vitest';
import { tenantFacts } from '../src/data/facts.js';
import { generateTenant } from '../src/data/generate.js';
import { createGraphRouter } from '../src/graphApi/graphRouter.js';
import type { EmuUser, GraphCaller, GraphRequest, GraphResponse } from '../src/model.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const tenant = generateTenant({ now: new Date(NOW) });
const facts = tenantFacts(tenant);
const ALL_SCOPES = ['User.Read', 'Files.Read.All', 'Sites.Read.All', 'ExternalItem.Read.All', 'OnlineMeetingAiInsight.Read.All', 'OnlineMeetings.Read', 'Calendars.Read'];

function delegated(user: EmuUser, scopes: string[] = ALL_SCOPES): GraphCaller {
  return { kind: 'delegated', tenantId: tenant.id, userId: user.id, upn: user.upn, appId: tenant.apps.publicClient.clientId, scopes };
}
const appCaller: GraphCaller = { kind: 'app', tenantId: tenant.id, appId: tenant.apps.exportApp.clientId, roles: tenant.apps.exportApp.appRoles };

let requestCounter = 0;
function request(caller: GraphCaller, method: string, path: string, body?: unknown, extra: Partial<GraphRequest> = {}): GraphRequest {
  return { method, path, version: 'v1.0', query: new URLSearchParams(), headers: {}, body, caller, requestId: `req-${++requestCounter}`, baseUrl: 'http://127.0.0.1:9999', ...extra };
}

function errorOf(res: GraphResponse): { code: string; message: string; innerError: Record<string, string> } {
  return (res.body as { error: { code: string; message: string; innerError: Record<string, string> } }).error;
}

type Hits = { retrievalHits: { webUrl: string; extracts: { text: string }[] }[] };

describe('POST /copilot/retrieval', () => {
  const router = createGraphRouter(tenant, { clock: () => NOW });
  const demo = delegated(facts.demoUser);
  const retrieval = (caller: GraphCaller, body: unknown, extra: Partial<GraphRequest> = {}) => router(request(caller, 'POST', '/copilot/retrieval', body, extra));

  it('answers 200 with hits for a licensed user (v1.0 and beta)', async () => {
    const res = await retrieval(demo, { queryString: facts.vpnGuide.query, dataSource: 'sharePoint', maximumNumberOfResults: 5 });
    expect(res.status).toBe(200);
    expect(res.route).toBe('POST /copilot/retrieval');
    const hits = (res.body as Hits).retrievalHits;
    expect(hits[0]?.webUrl).toBe(facts.vpnGuide.document.webUrl);
    expect(hits.length).toBeLessThanOrEqual(5);
    const beta = await retrieval(demo, { queryString: facts.vpnGuide.query, dataSource: 'sharePoint', includeThumbnails: false }, { version: 'beta' });
    expect(beta.status).toBe(200);
  });

  // copilotroot-retrieval.md Example 8 (beta): pageNumbers on extracts, one thumbnail per page on the hit.
  it('beta includeThumbnails adds page numbers and a thumbnail per page; v1.0 has neither field', async () => {
    const res = await retrieval(demo, { queryString: facts.vpnGuide.query, dataSource: 'sharePoint', includeThumbnails: true }, { version: 'beta' });
    expect(res.status).toBe(200);
    const hit = (res.body as { retrievalHits: { extracts: { pageNumbers?: number[] }[]; thumbnails?: { pageNumber: number; content: string; mediaType: string }[] }[] }).retrievalHits[0]!;
    const pages = [...new Set(hit.extracts.flatMap((e) => e.pageNumbers ?? []))].sort((a, b) => a - b);
    expect(pages.length).toBeGreaterThan(0);
    expect(hit.thumbnails?.map((t) => t.pageNumber)).toEqual(pages);
    for (const t of hit.thumbnails ?? []) expect(Buffer.from(t.content, 'base64').subarray(1, 4).toString()).toBe('PNG');
    const plain = (await retrieval(demo, { queryString: facts.vpnGuide.query, dataSource: 'sharePoint' })).body as { retrievalHits: Record<string, unknown>[] };
    expect(plain.retrievalHits[0]).not.toHaveProperty('thumbnails');
  });

  it('beta takes sharePointEmbedded with its containerTypeId (no containers here: no hits); v1.0 does not', async () => {
    const body = { queryString: 'vpn', dataSource: 'sharePointEmbedded', dataSourceConfiguration: { sharePointEmbedded: { containerTypeId: 'e2b7a2c4-5d1f-4c8e-9a3b-7f6d5c4b3a21' } } };
    const beta = await retrieval(demo, body, { version: 'beta' });
    expect(beta.status).toBe(200);
    expect((beta.body as Hits).retrievalHits).toEqual([]);
    expect((await retrieval(demo, body)).status).toBe(400);
    expect((await retrieval(demo, { ...body, dataSourceConfiguration: { sharePointEmbedded: {} } }, { version: 'beta' })).status).toBe(400);
  });

  it('refuses application tokens', async () => {
    const res = await retrieval(appCaller, { queryString: 'vpn', dataSource: 'sharePoint' });
    expect(res.status).toBe(403);
    expect(errorOf(res).message).toMatch(/application permissions are not supported/i);
  });

  it('requires the scopes of the data source', async () => {
    const noSites = await retrieval(delegated(facts.demoUser, ['Files.Read.All']), { queryString: 'vpn', dataSource: 'sharePoint' });
    expect(noSites.status).toBe(403);
    expect(errorOf(noSites).code).toBe('accessDenied');
    expect(errorOf(noSites).message).toContain('Sites.Read.All');
    const noExternal = await retrieval(delegated(facts.demoUser, ['Files.Read.All', 'Sites.Read.All']), { queryString: 'vpn', dataSource: 'externalItem' });
    expect(noExternal.status).toBe(403);
    expect(errorOf(noExternal).message).toContain('ExternalItem.Read.All');
    const prefixed = await retrieval(delegated(facts.demoUser, ['https://graph.microsoft.com/Files.Read.All', 'sites.read.all']), { queryString: 'vpn', dataSource: 'oneDriveBusiness' });
    expect(prefixed.status).toBe(200);
  });

  it('requires a Copilot licence', async () => {
    const res = await retrieval(delegated(facts.unlicensedUser), { queryString: 'vpn', dataSource: 'sharePoint' });
    expect(res.status).toBe(403);
    expect(errorOf(res).message).toMatch(/licen[cs]e/i);
  });

  it('validates the body with 400 invalidRequest', async () => {
    const long = 'x'.repeat(1501);
    const bad: unknown[] = [
      undefined,
      'query',
      [],
      {},
      { queryString: 'vpn' },
      { queryString: 'vpn', dataSource: 'email' },
      { dataSource: 'sharePoint' },
      { queryString: '', dataSource: 'sharePoint' },
      { queryString: '   ', dataSource: 'sharePoint' },
      { queryString: 42, dataSource: 'sharePoint' },
      { queryString: long, dataSource: 'sharePoint' },
      { queryString: 'vpn', dataSource: 'sharePoint', maximumNumberOfResults: 0 },
      { queryString: 'vpn', dataSource: 'sharePoint', maximumNumberOfResults: 26 },
      { queryString: 'vpn', dataSource: 'sharePoint', maximumNumberOfResults: 2.5 },
      { queryString: 'vpn', dataSource: 'sharePoint', resourceMetadata: 'title' },
      { queryString: 'vpn', dataSource: 'sharePoint', filterExpression: 7 },
      { queryString: 'vpn', dataSource: 'externalItem', dataSourceConfiguration: 'ContosoITServiceNowKB' },
      { queryString: 'vpn', dataSource: 'externalItem', dataSourceConfiguration: { externalItem: {} } },
      { queryString: 'vpn', dataSource: 'externalItem', dataSourceConfiguration: { externalItem: { connections: [{ id: 'x' }] } } },
      { queryString: 'vpn', dataSource: 'sharePoint', includeThumbnails: true },
      { queryString: 'vpn', dataSource: 'sharePoint', unknownField: 1 },
    ];
    for (const body of bad) {
      const res = await retrieval(demo, body);
      expect(res.status, JSON.stringify(body)?.slice(0, 80)).toBe(400);
      expect(errorOf(res).code).toBe('invalidRequest');
    }
    const exact = await retrieval(demo, { queryString: 'x'.repeat(1500), dataSource: 'sharePoint', maximumNumberOfResults: 25 });
    expect(exact.status).toBe(200);
  });

  it('puts the request ids in every error envelope', async () => {
    const res = await retrieval(appCaller, { queryString: 'vpn', dataSource: 'sharePoint' }, { headers: { 'client-request-id': 'client-123' } });
    const inner = errorOf(res).innerError;
    expect(inner['request-id']).toMatch(/^req-/);
    expect(inner['client-request-id']).toBe('client-123');
    expect(inner['date']).toBe('2026-03-10T12:00:00');
    const noClient = errorOf(await retrieval(appCaller, {}));
    expect(noClient.innerError['client-request-id']).toBe(noClient.innerError['request-id']);
  });

  it('answers 200 with empty hits when nothing matches, and ignores an invalid filter', async () => {
    const none = await retrieval(demo, { queryString: 'zyzzyva', dataSource: 'sharePoint' });
    expect(none.body).toEqual({ retrievalHits: [] });
    const plain = await retrieval(demo, { queryString: facts.kqlExample.query, dataSource: 'sharePoint' });
    const broken = await retrieval(demo, { queryString: facts.kqlExample.query, dataSource: 'sharePoint', filterExpression: 'NotAProperty:"x"' });
    expect(broken.status).toBe(200);
    expect(broken.body).toEqual(plain.body);
  });

  it('throttles each user after the hourly budget with Retry-After, and recovers', async () => {
    let now = NOW;
    const limited = createGraphRouter(tenant, { retrievalBudgetPerHour: 3, clock: () => now });
    const call = (user: EmuUser) => limited(request(delegated(user), 'POST', '/copilot/retrieval', { queryString: 'vpn', dataSource: 'sharePoint' }));
    for (let i = 0; i < 3; i++) {
      expect((await call(facts.demoUser)).status).toBe(200);
      now += 60_000;
    }
    const throttled = await call(facts.demoUser);
    expect(throttled.status).toBe(429);
    expect(errorOf(throttled).code).toBe('TooManyRequests');
    const retryAfter = Number(throttled.headers?.['Retry-After']);
    expect(retryAfter).toBe(3600 - 180);
    expect((await call(facts.licensedUser)).status).toBe(200);
    now += retryAfter * 1000;
    expect((await call(facts.demoUser)).status).toBe(200);
  });
});

describe('POST /$batch', () => {
  const router = createGraphRouter(tenant, { clock: () => NOW });
  const item = (id: string, body: unknown, extra: Record<string, unknown> = {}) => ({ id, method: 'POST', url: '/copilot/retrieval', headers: { 'Content-Type': 'application/json' }, body, ...extra });
  const batch = (caller: GraphCaller, requests: unknown) => router(request(caller, 'POST', '/$batch', { requests }));
  type BatchBody = { responses: { id: string; status: number; headers: Record<string, string>; body: unknown }[] };

  it('runs each request, answers in a different order, matched by id, keeping per-item failures', async () => {
    const res = await batch(delegated(facts.demoUser), [
      item('sp', { queryString: facts.vpnGuide.query, dataSource: 'sharePoint' }),
      item('ext', { queryString: facts.connector.query, dataSource: 'externalItem' }),
      item('bad', { queryString: '', dataSource: 'sharePoint' }),
      { id: 'me', method: 'GET', url: '/me' },
    ]);
    expect(res.status).toBe(200);
    expect(res.route).toBe('POST /$batch');
    const responses = (res.body as BatchBody).responses;
    expect(responses.map((r) => r.id)).not.toEqual(['sp', 'ext', 'bad', 'me']);
    expect(new Set(responses.map((r) => r.id))).toEqual(new Set(['sp', 'ext', 'bad', 'me']));
    const byId = new Map(responses.map((r) => [r.id, r]));
    expect(byId.get('sp')?.status).toBe(200);
    expect((byId.get('sp')?.body as Hits).retrievalHits[0]?.webUrl).toBe(facts.vpnGuide.document.webUrl);
    expect((byId.get('ext')?.body as Hits).retrievalHits.every((h) => h.webUrl.includes('service-now.com'))).toBe(true);
    expect(byId.get('bad')?.status).toBe(400);
    expect((byId.get('bad')?.body as { error: { code: string } }).error.code).toBe('invalidRequest');
    expect(byId.get('me')?.status).toBe(200);
    expect(byId.get('sp')?.headers['Content-Type']).toMatch(/^application\/json/);
  });

  it('never leaks a private document through a batch', async () => {
    const { document, query, outsider } = facts.privateDoc;
    const res = await batch(delegated(outsider), [
      item('1', { queryString: query, dataSource: 'oneDriveBusiness' }),
      item('2', { queryString: query, dataSource: 'sharePoint' }),
      item('3', { queryString: document.chunks[0], dataSource: 'oneDriveBusiness', filterExpression: `Path:"${document.path}"` }),
    ]);
    const texts = new Set(document.chunks);
    for (const r of (res.body as BatchBody).responses) {
      expect(r.status).toBe(200);
      for (const hit of (r.body as Hits).retrievalHits) {
        expect(hit.webUrl).not.toBe(document.webUrl);
        expect(hit.extracts.some((e) => texts.has(e.text))).toBe(false);
      }
    }
  });

  it('rejects malformed batches as a whole with 400', async () => {
    const caller = delegated(facts.demoUser);
    const q = { queryString: 'vpn', dataSource: 'sharePoint' };
    const cases: unknown[] = [
      Array.from({ length: 21 }, (_, i) => item(String(i), q)),
      [item('a', q), item('A', q)],
      [{ method: 'GET', url: '/me' }],
      [{ id: '1', url: '/me' }],
      [{ id: '1', method: 'GET' }],
      [{ id: '1', method: 'POST', url: '/copilot/retrieval', body: q }],
      [{ id: '1', method: 'GET', url: '/$batch' }],
      [{ id: '1', method: 'GET', url: 'https://graph.microsoft.com/v1.0/me' }],
      [{ id: '1', method: 'GET', url: '/v1.0/me' }],
      [item('1', q, { dependsOn: ['2'] }), item('2', q)],
      [],
      'not-an-array',
    ];
    for (const requests of cases) {
      const res = await batch(caller, requests);
      expect(res.status, JSON.stringify(requests).slice(0, 80)).toBe(400);
    }
    expect((await batch(caller, Array.from({ length: 20 }, (_, i) => item(String(i), q)))).status).toBe(200);
    expect((await router(request(caller, 'POST', '/$batch', { nope: [] }))).status).toBe(400);
  });

  it('answers 424 for requests whose dependency failed', async () => {
    const res = await batch(delegated(facts.demoUser), [
      item('1', { queryString: '', dataSource: 'sharePoint' }),
      item('2', { queryString: 'vpn', dataSource: 'sharePoint' }, { dependsOn: ['1'] }),
      item('3', { queryString: 'vpn', dataSource: 'sharePoint' }, { dependsOn: ['2'] }),
      item('4', { queryString: 'vpn', dataSource: 'sharePoint' }),
      item('5', { queryString: 'vpn', dataSource: 'sharePoint' }, { dependsOn: ['4'] }),
    ]);
    const status = new Map((res.body as BatchBody).responses.map((r) => [r.id, r.status]));
    expect(Object.fromEntries(status)).toEqual({ '1': 400, '2': 424, '3': 424, '4': 200, '5': 200 });
  });

  it('passes relative URLs with query strings to the routes', async () => {
    const meeting = facts.meetings.withInsights.meeting;
    const filter = encodeURIComponent(`JoinWebUrl eq '${meeting.joinWebUrl}'`);
    const res = await batch(delegated(facts.demoUser), [
      { id: 'm', method: 'GET', url: `/me/onlineMeetings?$filter=${filter}` },
      { id: 'u', method: 'GET', url: `users/${facts.licensedUser.upn}` },
    ]);
    const byId = new Map((res.body as BatchBody).responses.map((r) => [r.id, r]));
    expect((byId.get('m')?.body as { value: { id: string }[] }).value.map((m) => m.id)).toEqual([meeting.id]);
    expect((byId.get('u')?.body as { id: string }).id).toBe(facts.licensedUser.id);
  });
});
