import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, textOf, type McpTestClient } from '../helpers/mcpClients.js';
import * as chat from './fixtures/chat.js';
import * as reports from './fixtures/reports.js';
import * as retrieval from './fixtures/retrieval.js';
import * as search from './fixtures/search.js';
import { fakeDelegatedToken, replayGraph, sendEvents, sendJson, type ReplayRoute } from './replayGraph.js';

/*
 * The built CLI against a loopback "Graph" that answers with payloads in the shapes of Microsoft's
 * documented examples (fixtures/*), through the public interfaces only: --graph-base-url and
 * --access-token. Every tool must answer without isError, with the payload's facts in
 * structuredContent.
 */

const ALL_SCOPES = [
  'Files.Read.All',
  'Sites.Read.All',
  'ExternalItem.Read.All',
  'Mail.Read',
  'People.Read.All',
  'OnlineMeetingTranscript.Read.All',
  'Chat.Read',
  'ChannelMessage.Read.All',
  'OnlineMeetingAiInsight.Read.All',
  'OnlineMeetings.Read',
  'Calendars.Read',
  'Reports.Read.All',
  'User.Read',
];

let client: McpTestClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

async function cliAgainst(routes: ReplayRoute[], extra: string[] = []) {
  const graph = await replayGraph(routes);
  client = await connectClient('v2-2026', ['--graph-base-url', graph.baseUrl, '--access-token', fakeDelegatedToken(ALL_SCOPES), '--audit-file', 'off', '--log-level', 'warn', ...extra]);
  return { graph, client };
}

const bodyOf = (body: string) => JSON.parse(body) as Record<string, unknown>;

describe('copilot_chat on the documented stream', () => {
  it('reads labels with all-null fields as no label, skips the messages: [] event and keeps the answer and citation', async () => {
    const { graph, client } = await cliAgainst(
      [
        { method: 'POST', path: /^\/beta\/copilot\/conversations$/, answer: (_q, res) => sendJson(res, chat.createdConversation, 201) },
        { method: 'POST', path: /^\/beta\/copilot\/conversations\/[^/]+\/chatOverStream$/, answer: (_q, res) => sendEvents(res, chat.chatStream) },
      ],
      ['--enable-beta'],
    );
    const r = await client.callTool('copilot_chat', { message: chat.PROMPT, timeZone: 'Europe/Lisbon' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const out = r.structuredContent as { conversationId: string; turnCount?: number; answer: string; citations: { url: string; title?: string; label?: unknown }[]; sensitivityLabel?: unknown };
    expect(out.conversationId).toBe(chat.CONVERSATION_ID);
    expect(out.turnCount).toBe(1);
    expect(out.answer).toBe('The offsite is in Lisbon on 14 May, organised by Alex Wilber[^1^].');
    expect(out.citations).toEqual([{ url: chat.CITATION_URL, title: 'Offsite 2026' }]);
    expect(out.sensitivityLabel).toBeUndefined();
    expect(graph.unmatched).toEqual([]);
    const sent = bodyOf(graph.seen.find((s) => s.url.endsWith('/chatOverStream'))!.body);
    expect(sent).toMatchObject({ message: { text: chat.PROMPT }, locationHint: { timeZone: 'Europe/Lisbon' } });
  });
});

describe('copilot_retrieve on documented and nullable payloads', () => {
  it('drops a hit without webUrl (and says so), reads a null extract as empty and an all-null label as no label', async () => {
    const { graph, client } = await cliAgainst([{ method: 'POST', path: /^\/v1\.0\/copilot\/retrieval$/, answer: (_q, res) => sendJson(res, retrieval.sharePointHits) }]);
    const r = await client.callTool('copilot_retrieve', { query: 'What is the travel policy for flights?', sources: ['sharePoint'] });
    expect(r.isError, textOf(r)).toBeFalsy();
    const out = r.structuredContent as { hits: { url: string; title?: string; extracts: { text: string; relevanceScore?: number }[]; sensitivityLabel?: unknown }[]; sources: { source: string; hitCount: number; droppedHits?: number }[] };
    expect(out.hits.map((h) => h.url)).toEqual([retrieval.sharePointHits.retrievalHits[0]!.webUrl, retrieval.sharePointHits.retrievalHits[1]!.webUrl]);
    expect(out.hits[0]).toMatchObject({ title: 'Travel Policy', extracts: [{ text: 'Economy class is booked for flights under six hours.', relevanceScore: 0.881 }], sensitivityLabel: { id: '2b9e6c0a-4d1f-4a3c-9f8e-7d6c5b4a3e21', name: 'General', priority: 1 } });
    expect(out.hits[1]!.extracts).toEqual([{ text: '', relevanceScore: 0.51 }]);
    expect(out.hits[1]!.sensitivityLabel).toBeUndefined();
    expect(out.sources).toEqual([expect.objectContaining({ source: 'sharePoint', hitCount: 2, droppedHits: 1 })]);
    expect(textOf(r)).toContain('1 hit(s) came without a url and were left out');
    expect(graph.unmatched).toEqual([]);
  });

  it('externalItem without connectionIds sends no dataSourceConfiguration (every connection the user can read)', async () => {
    const { graph, client } = await cliAgainst([{ method: 'POST', path: /^\/v1\.0\/copilot\/retrieval$/, answer: (_q, res) => sendJson(res, retrieval.connectorHits) }]);
    const r = await client.callTool('copilot_retrieve', { query: 'How do I reset my VPN token?', sources: ['externalItem'] });
    expect(r.isError, textOf(r)).toBeFalsy();
    const out = r.structuredContent as { hits: { url: string; source: string; title?: string; extracts: { text: string }[] }[] };
    expect(out.hits).toEqual([expect.objectContaining({ url: retrieval.connectorHits.retrievalHits[0]!.webUrl, source: 'externalItem', title: 'VPN token reset', extracts: [{ text: 'Reset your VPN token from the self-service portal.' }] })]);
    const sent = bodyOf(graph.seen[0]!.body);
    expect(sent['dataSource']).toBe('externalItem');
    expect(sent).not.toHaveProperty('dataSourceConfiguration');
  });

  it('externalItem with connectionIds restricts to them', async () => {
    const { graph, client } = await cliAgainst([{ method: 'POST', path: /^\/v1\.0\/copilot\/retrieval$/, answer: (_q, res) => sendJson(res, retrieval.connectorHits) }]);
    const r = await client.callTool('copilot_retrieve', { query: 'How do I reset my VPN token?', sources: ['externalItem'], connectionIds: ['ContosoITKB'] });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(bodyOf(graph.seen[0]!.body)['dataSourceConfiguration']).toEqual({ externalItem: { connections: [{ connectionId: 'ContosoITKB' }] } });
  });
});

describe('copilot_usage_report on the documented v1.0 CSV answers', () => {
  const csvRoute: ReplayRoute = {
    method: 'GET',
    path: /^\/v1\.0\/copilot\/reports\/getMicrosoft365Copilot\w+\(period='D\d+'\)$/,
    answer: (req, res) => {
      const csv = req.url.includes('UserCountSummary') ? reports.summaryCsv : req.url.includes('UserCountTrend') ? reports.trendCsv : reports.detailCsv;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'request-id': 'replay-request-id' });
      res.end(csv);
    },
  };

  it('summary, trend and user detail come back as typed rows, never as CSV', async () => {
    const { graph, client } = await cliAgainst([csvRoute]);
    const summary = await client.callTool('copilot_usage_report', { report: 'userCountSummary' });
    expect(summary.isError, textOf(summary)).toBeFalsy();
    expect(summary.structuredContent).toMatchObject({
      report: 'userCountSummary',
      version: 'v1',
      period: 'D30',
      reportRefreshDate: '2026-04-12',
      summary: { reportPeriodDays: 30, byApp: { anyApp: { enabledUsers: 60, activeUsers: 44 }, microsoftTeams: { enabledUsers: 60, activeUsers: 31 }, copilotChat: { enabledUsers: 60, activeUsers: 29 } } },
    });
    expect(textOf(summary)).not.toContain('Report Refresh Date');

    const trend = await client.callTool('copilot_usage_report', { report: 'userCountTrend', period: 'D7' });
    expect(trend.isError, textOf(trend)).toBeFalsy();
    expect((trend.structuredContent as { trend: { reportDate: string; byApp: { anyApp: { activeUsers: number } } }[] }).trend.map((d) => [d.reportDate, d.byApp.anyApp.activeUsers])).toEqual([
      ['2026-04-11', 16],
      ['2026-04-12', 14],
    ]);

    const detail = await client.callTool('copilot_usage_report', { report: 'userDetail' });
    expect(detail.isError, textOf(detail)).toBeFalsy();
    expect(detail.structuredContent).toMatchObject({
      totalUsers: 2,
      activeUsers: 1,
      users: [
        { userPrincipalName: 'diego.siciliani@contoso.example', displayName: 'Diego Siciliani', lastActivityDate: '2026-04-10', lastActivityByApp: { copilotChat: '2026-04-10', microsoftTeams: '2026-04-08', outlook: '2026-04-02' } },
        { userPrincipalName: 'irvin.sayers@contoso.example', displayName: 'Irvin Sayers', lastActivityByApp: {} },
      ],
    });
    // As the documented example asks: $format=application/json, answered with CSV all the same.
    expect(graph.seen.every((s) => new URL(s.url, graph.baseUrl).searchParams.get('$format') === 'application/json')).toBe(true);
    expect(graph.unmatched).toEqual([]);
  });
});

describe('beta retrieval (--enable-beta): SharePoint Embedded and thumbnails', () => {
  const route: ReplayRoute = { method: 'POST', path: /^\/beta\/copilot\/retrieval$/, answer: (_q, res) => sendJson(res, retrieval.thumbnailHits) };

  it('includeThumbnails goes to beta; pages and thumbnails come back described, never as base64', async () => {
    const { graph, client } = await cliAgainst([route], ['--enable-beta']);
    const r = await client.callTool('copilot_retrieve', { query: 'When do I apply for a visa?', sources: ['sharePoint'], includeThumbnails: true });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(bodyOf(graph.seen[0]!.body)).toMatchObject({ dataSource: 'sharePoint', includeThumbnails: true });
    const hit = (r.structuredContent as { hits: Record<string, unknown>[] }).hits[0]!;
    expect(hit['extracts']).toEqual([
      { text: 'Apply for the visa six weeks before travel.', relevanceScore: 0.79, pageNumbers: [2] },
      { text: 'Keep the receipt of the visa fee.', relevanceScore: 0.61, pageNumbers: [2, 3] },
    ]);
    expect(hit['thumbnails']).toEqual([
      { pageNumber: 2, mediaType: 'image/jpg', bytes: 192 },
      { pageNumber: 3, mediaType: 'image/jpeg', bytes: 192 },
    ]);
    const all = JSON.stringify(r);
    expect(all).not.toContain('QUJD');
    expect(all).not.toContain('REVG');
    expect(textOf(r)).toContain('(p. 2, 3)');
  });

  it('sharePointEmbedded sends its container type in dataSourceConfiguration', async () => {
    const { graph, client } = await cliAgainst([route], ['--enable-beta']);
    const containerTypeId = 'e2b7a2c4-5d1f-4c8e-9a3b-7f6d5c4b3a21';
    const r = await client.callTool('copilot_retrieve', { query: 'visa', sources: ['sharePointEmbedded'], containerTypeId });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(bodyOf(graph.seen[0]!.body)).toEqual({ queryString: 'visa', dataSource: 'sharePointEmbedded', resourceMetadata: ['title'], dataSourceConfiguration: { sharePointEmbedded: { containerTypeId } } });
    expect((r.structuredContent as { hits: { source: string }[] }).hits[0]!.source).toBe('sharePointEmbedded');
  });

  it('without --enable-beta both are refused before any Graph call, naming the flag', async () => {
    const { graph, client } = await cliAgainst([route]);
    for (const args of [
      { query: 'visa', includeThumbnails: true },
      { query: 'visa', sources: ['sharePointEmbedded'], containerTypeId: 'e2b7a2c4-5d1f-4c8e-9a3b-7f6d5c4b3a21' },
    ]) {
      const r = await client.callTool('copilot_retrieve', args);
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/\[InvalidArgument\].*--enable-beta/s);
    }
    expect(graph.seen).toEqual([]);
  });
});

describe('copilot_search paging: @odata.nextLink and nextLink', () => {
  it('follows either name of the next-page link to the last page', async () => {
    let page = 0;
    const { graph, client } = await cliAgainst(
      [
        { method: 'POST', path: /^\/beta\/copilot\/search$/, answer: (_q, res, base) => sendJson(res, search.firstPage(base)) },
        { method: 'GET', path: /^\/beta\/copilot\/searchNextPage$/, answer: (_q, res, base) => sendJson(res, ++page === 1 ? search.secondPage(base) : search.lastPage) },
      ],
      ['--enable-beta'],
    );
    const urls: string[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const r = await client.callTool('copilot_search', { query: 'planning', ...(cursor ? { cursor } : {}) });
      expect(r.isError, textOf(r)).toBeFalsy();
      const out = r.structuredContent as { hits: { url: string; title?: string }[]; totalCount?: number; nextCursor?: string };
      expect(out.totalCount).toBe(5);
      urls.push(...out.hits.map((h) => h.url));
      cursor = out.nextCursor;
    } while (cursor && ++calls < 5);
    expect(urls.map((u) => u.split('/').pop())).toEqual(['Roadmap-2026.pptx', 'Q2-Plan.docx', 'Budget.xlsx', 'Hiring.docx']);
    expect(graph.seen.filter((s) => s.url.includes('searchNextPage')).map((s) => new URL(s.url, graph.baseUrl).searchParams.get('$skipToken'))).toEqual(['eyJQYWdlIjoyfQ', 'eyJQYWdlIjozfQ']);
  });
});
