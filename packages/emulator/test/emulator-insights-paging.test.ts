import { describe, expect, it } from 'vitest';
import { tenantFacts } from '../src/data/facts.js';
import { generateTenant } from '../src/data/generate.js';
import { createGraphRouter } from '../src/graphApi/graphRouter.js';
import { INSIGHTS_PAGE_SIZE } from '../src/graphApi/insightsEndpoint.js';
import type { GraphCaller, GraphRequest, GraphResponse } from '../src/model.js';

/*
 * onlinemeeting-list-aiinsights.md (MicrosoftDocs/m365copilot-docs@90efae84): a default limit of 20
 * items, @odata.nextLink until it is absent, and $select; callaiinsight-get.md: $select.
 */
const NOW = Date.parse('2026-03-10T12:00:00Z');
const BASE = 'http://127.0.0.1:9999';
const tenant = generateTenant({ now: new Date(NOW) });
const facts = tenantFacts(tenant);
const router = createGraphRouter(tenant, { clock: () => NOW });
const demo = facts.demoUser;
const caller: GraphCaller = { kind: 'delegated', tenantId: tenant.id, userId: demo.id, upn: demo.upn, appId: tenant.apps.publicClient.clientId, scopes: ['OnlineMeetingAiInsight.Read.All'] };

const get = (url: string): Promise<GraphResponse> => {
  const u = new URL(url, BASE);
  const [, version, ...rest] = u.pathname.split('/');
  const req: GraphRequest = { method: 'GET', path: `/${rest.join('/')}`, version: version as 'v1.0', query: u.searchParams, headers: {}, body: undefined, caller, requestId: 'r1', baseUrl: BASE };
  return router(req);
};
type List = { '@odata.count': number; '@odata.nextLink'?: string; value: Record<string, unknown>[] };

// A meeting with many transcripts, each its own insight (contract §3.3).
const { meeting, insight } = facts.meetings.withInsights;
const stored = tenant.meetings.find((m) => m.id === meeting.id)!;
const template = stored.insights.find((i) => i.id === insight.id)!;
while (stored.insights.length < 45) stored.insights.push({ ...template, id: `${template.id}-${stored.insights.length}`, contentCorrelationId: `${template.contentCorrelationId}-${stored.insights.length}` });
const available = stored.insights.filter((i) => Date.parse(i.availableAt) <= NOW).length;
const listUrl = `${BASE}/v1.0/copilot/users/${demo.id}/onlineMeetings/${meeting.id}/aiInsights`;

describe('aiInsights paging and $select', () => {
  it('pages at 20 with @odata.nextLink until the last page, without gaps or repeats', async () => {
    expect(available).toBeGreaterThan(2 * INSIGHTS_PAGE_SIZE);
    const ids: string[] = [];
    const sizes: number[] = [];
    let url: string | undefined = listUrl;
    while (url) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      const page = res.body as List;
      expect(page['@odata.count']).toBe(available);
      sizes.push(page.value.length);
      ids.push(...page.value.map((v) => v['id'] as string));
      url = page['@odata.nextLink'];
    }
    expect(sizes.slice(0, -1).every((n) => n === INSIGHTS_PAGE_SIZE)).toBe(true);
    expect(ids).toHaveLength(available);
    expect(new Set(ids).size).toBe(available);
  });

  it('honours $select on the list (kept on the nextLink) and on one insight; an unknown property is a 400', async () => {
    const first = (await get(`${listUrl}?$select=createdDateTime`)).body as List;
    for (const v of first.value) expect(Object.keys(v).sort()).toEqual(['createdDateTime', 'id']);
    const second = (await get(first['@odata.nextLink']!)).body as List;
    for (const v of second.value) expect(Object.keys(v).sort()).toEqual(['createdDateTime', 'id']);
    const oneRes = await get(`${listUrl}/${insight.id}?$select=actionItems,callId`);
    expect(oneRes.status, JSON.stringify(oneRes.body)).toBe(200);
    const one = oneRes.body as Record<string, unknown>;
    expect(Object.keys(one).filter((k) => !k.startsWith('@odata.')).sort()).toEqual(['actionItems', 'callId', 'id']);
    const bad = await get(`${listUrl}?$select=colour`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("Could not find a property named 'colour'");
    expect((await get(`${listUrl}?$skiptoken=forged`)).status).toBe(400);
  });
});
