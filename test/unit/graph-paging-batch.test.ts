import { describe, expect, it } from 'vitest';
import { json, serve } from '../helpers/loopbackServer.js';
import * as z from 'zod';
import { AppError } from '../../src/errors.js';
import { createGraphClient, type BatchItem } from '../../src/graph/client.js';
import { GraphError } from '../../src/graph/errors.js';
import { AiInteractionSchema, RetrievalResponseSchema } from '../../src/graph/copilot/schemas.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwYWdpbmcifQ.c2lnbmF0dXJl';


const graphFor = (baseUrl: string) => createGraphClient({ baseUrl, getToken: async () => TOKEN });

const interaction = (id: string) => ({
  id,
  sessionId: 's1',
  requestId: `r${id}`,
  appClass: 'IPM.SkypeTeams.Message.Copilot.BizChat',
  interactionType: id === '3' ? 'someFutureType' : 'userPrompt',
  conversationType: 'bizchat',
  createdDateTime: '2026-01-01T00:00:00Z',
  locale: 'en-us',
  body: { contentType: 'text', content: `q${id}` },
});

describe('graph client: paging', () => {
  it('yields one page at a time over three pages, an empty middle one included, following nextLink verbatim', async () => {
    const exportPath = '/v1.0/copilot/users/u1/interactionHistory/getAllEnterpriseInteractions';
    // Encoded characters a rebuild would likely alter: %3D in the token, %20 and %27 in the filter.
    const page2 = `${exportPath}?$filter=appClass%20eq%20%27IPM.SkypeTeams.Message.Copilot.BizChat%27&$top=2&$skiptoken=U2tpcFZhbHVlPTI%3D`;
    const page3 = `${exportPath}?$filter=appClass%20eq%20%27IPM.SkypeTeams.Message.Copilot.BizChat%27&$top=2&$skiptoken=U2tpcFZhbHVlPTQ%3D`;
    const srv = await serve((req, res, base) => {
      if (req.url === page2) return json(res, 200, { value: [], '@odata.nextLink': `${base}${page3}` }, { 'request-id': 'p2' });
      if (req.url === page3) return json(res, 200, { value: [interaction('3')] }, { 'request-id': 'p3' });
      return json(res, 200, { '@odata.count': 3, value: [interaction('1'), { ...interaction('2'), extra: 'kept' }], '@odata.nextLink': `${base}${page2}` }, { 'request-id': 'p1' });
    });
    const pages = [];
    for await (const page of graphFor(srv.baseUrl).paginate({
      method: 'GET',
      route: 'GET /copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions',
      path: '/copilot/users/u1/interactionHistory/getAllEnterpriseInteractions',
      query: { $filter: "appClass eq 'IPM.SkypeTeams.Message.Copilot.BizChat'", $top: '2' },
      scopes: [],
      itemSchema: AiInteractionSchema,
    }))
      pages.push(page);

    expect(pages.map((p) => p.items.map((i) => i.id))).toEqual([['1', '2'], [], ['3']]);
    expect(pages.map((p) => p.requestId)).toEqual(['p1', 'p2', 'p3']);
    expect(pages[0]!.nextLink).toBe(`${srv.baseUrl}${page2}`);
    expect(pages[2]!.nextLink).toBeUndefined();
    expect(srv.seen.map((s) => s.url).slice(1)).toEqual([page2, page3]);
    expect(srv.seen.every((s) => s.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    // Array fields default to [] and unknown enum values pass through.
    expect(pages[0]!.items[0]!.attachments).toEqual([]);
    expect(pages[2]!.items[0]!.interactionType).toBe('someFutureType');
  });

  it('refuses a nextLink on another origin before any request is sent to it', async () => {
    const attacker = await serve((_req, res) => json(res, 200, { value: [] }));
    const srv = await serve((_req, res) => json(res, 200, { value: [interaction('1')], '@odata.nextLink': `${attacker.baseUrl}/v1.0/steal?$skiptoken=x` }));
    const pages = graphFor(srv.baseUrl).paginate({ method: 'GET', route: 'GET /copilot/x', path: '/copilot/x', scopes: [], itemSchema: AiInteractionSchema });
    const err = await pages.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('BadGraphResponse');
    expect((err as AppError).message).toContain(attacker.baseUrl);
    expect(attacker.seen).toHaveLength(0);
    expect(srv.seen).toHaveLength(1);
  });

  it('names the bad item of a page', async () => {
    const srv = await serve((_req, res) => json(res, 200, { value: [interaction('1'), { ...interaction('2'), sessionId: undefined }] }));
    const pages = graphFor(srv.baseUrl).paginate({ method: 'GET', route: 'GET /copilot/x', path: '/copilot/x', scopes: [], itemSchema: AiInteractionSchema });
    await expect(pages.next()).rejects.toMatchObject({ code: 'BadGraphResponse', details: { field: 'value.1.sessionId' } });
  });

  it('stops a nextLink that points back at its own page', async () => {
    const srv = await serve((req, res, base) => json(res, 200, { value: [], '@odata.nextLink': `${base}${req.url}` }));
    const pages = graphFor(srv.baseUrl).paginate({ method: 'GET', route: 'GET /copilot/x', path: '/copilot/x?$top=1', scopes: [], itemSchema: z.unknown() });
    await expect(pages.next()).rejects.toMatchObject({ code: 'BadGraphResponse' });
  });
});

describe('graph client: $batch', () => {
  const item = (id: string, extra: Partial<BatchItem> = {}): BatchItem => ({
    id,
    method: 'POST',
    route: 'POST /copilot/retrieval',
    url: '/copilot/retrieval',
    body: { queryString: 'vpn', dataSource: id },
    permissions: ['Files.Read.All (delegated)', 'Sites.Read.All (delegated)'],
    ...extra,
  });

  it('matches answers by id in any order and keeps per-item 429 and 403 next to successes', async () => {
    const srv = await serve((req, res) => {
      const { requests } = JSON.parse(req.body) as { requests: { id: string }[] };
      const answers = requests.map((r) => {
        if (r.id === 'externalItem')
          return { id: r.id, status: 429, headers: { 'Retry-After': '12', 'Content-Type': 'application/json' }, body: { error: { code: 'TooManyRequests', message: 'Please retry again later.' } } };
        if (r.id === 'oneDriveBusiness')
          return { id: r.id, status: 403, headers: { 'Content-Type': 'application/json' }, body: { error: { code: 'accessDenied', message: 'Access denied.', innerError: { 'request-id': 'item-rid' } } } };
        return { id: r.id, status: 200, headers: { 'Content-Type': 'application/json' }, body: { retrievalHits: [{ webUrl: 'https://a', extracts: [{ text: 't' }], resourceType: 'listItem' }] } };
      });
      json(res, 200, { responses: answers.reverse() }, { 'request-id': 'batch-rid' });
    });
    const results = await graphFor(srv.baseUrl).batch([item('sharePoint'), item('oneDriveBusiness', { permissions: ['Files.Read.All (delegated)'] }), item('externalItem'), item('site', { method: 'GET', url: '/sites/root', body: undefined })], {
      scopes: ['Files.Read.All'],
    });

    const sent = srv.seen[0]!;
    expect(sent.url).toBe('/v1.0/$batch');
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const { requests } = JSON.parse(sent.body) as { requests: Record<string, unknown>[] };
    expect(requests[0]).toEqual({ id: 'sharePoint', method: 'POST', url: '/copilot/retrieval', headers: { 'Content-Type': 'application/json' }, body: { queryString: 'vpn', dataSource: 'sharePoint' } });
    expect(requests[3]).toEqual({ id: 'site', method: 'GET', url: '/sites/root' });

    expect([...results.keys()]).toEqual(['sharePoint', 'oneDriveBusiness', 'externalItem', 'site']);
    const sp = results.get('sharePoint')!;
    expect(sp.ok).toBe(true);
    if (sp.ok) {
      expect(RetrievalResponseSchema.parse(sp.body).retrievalHits[0]!.webUrl).toBe('https://a');
      expect(sp.requestId).toBe('batch-rid');
    }
    const throttled = results.get('externalItem')!;
    expect(throttled.ok).toBe(false);
    if (!throttled.ok) {
      expect(throttled.status).toBe(429);
      expect(throttled.error).toBeInstanceOf(GraphError);
      expect(throttled.error.code).toBe('Throttled');
      expect(throttled.error.retryAfterSeconds).toBe(12);
      expect(throttled.error.nextStep).toContain('retry after 12 s');
    }
    const denied = results.get('oneDriveBusiness')!;
    expect(denied.ok).toBe(false);
    if (!denied.ok) {
      expect(denied.error.code).toBe('Forbidden');
      expect(denied.error.requestId).toBe('batch-rid');
      expect(denied.error.nextStep).toContain('Files.Read.All (delegated)');
      expect(denied.error.nextStep).not.toContain('Sites.Read.All');
    }
    expect(results.get('site')!.ok).toBe(true);
  });

  it('turns an item missing from the answer into an error result for that id', async () => {
    const srv = await serve((_req, res) => json(res, 200, { responses: [{ id: 'b', status: 200, body: { retrievalHits: [] } }, { id: 'zzz', status: 200, body: {} }] }));
    const results = await graphFor(srv.baseUrl).batch([item('a'), item('b')], { scopes: [] });
    const a = results.get('a')!;
    expect(a.ok).toBe(false);
    if (!a.ok) {
      expect(a.error.code).toBe('BadGraphResponse');
      expect(a.error.message).toContain('item a');
    }
    expect(results.get('b')!.ok).toBe(true);
    expect(results.has('zzz')).toBe(false);
  });

  it('throws when the batch call itself fails', async () => {
    const srv = await serve((_req, res) => json(res, 400, { error: { code: 'BadRequest', message: 'Invalid batch payload format.' } }));
    await expect(graphFor(srv.baseUrl).batch([item('a')], { scopes: [], version: 'beta' })).rejects.toMatchObject({ code: 'GraphError', status: 400 });
    expect(srv.seen[0]!.url).toBe('/beta/$batch');
  });

  it('throws on a batch answer without responses', async () => {
    const srv = await serve((_req, res) => json(res, 200, { value: [] }));
    await expect(graphFor(srv.baseUrl).batch([item('a')], { scopes: [] })).rejects.toMatchObject({ code: 'BadGraphResponse', details: { field: 'responses' } });
  });

  it('rejects misuse before sending anything: 0 or more than 20 items, duplicate ids, versioned urls', async () => {
    const srv = await serve((_req, res) => json(res, 200, { responses: [] }));
    const graph = graphFor(srv.baseUrl);
    const many = Array.from({ length: 21 }, (_, i) => item(String(i)));
    await expect(graph.batch(many, { scopes: [] })).rejects.toThrow(/1–20/);
    await expect(graph.batch([], { scopes: [] })).rejects.toThrow(/1–20/);
    await expect(graph.batch([item('a'), item('A')], { scopes: [] })).rejects.toThrow(/unique/);
    await expect(graph.batch([item('a', { url: '/v1.0/copilot/retrieval' })], { scopes: [] })).rejects.toThrow(/relative/);
    expect(srv.seen).toHaveLength(0);
    await expect(graph.batch(many.slice(0, 20), { scopes: [] })).resolves.toBeInstanceOf(Map);
  });
});
