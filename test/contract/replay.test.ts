import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectClient, textOf, type McpTestClient } from '../helpers/mcpClients.js';
import * as chat from './fixtures/chat.js';
import * as exportFixtures from './fixtures/export.js';
import * as meetings from './fixtures/meetings.js';
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

describe('copilot_meeting_insights on the documented insight', () => {
  it('finds the meeting by its join URL, lists the insights and reads notes, action items and mentions', async () => {
    const base = `/v1.0/copilot/users/${meetings.USER_ID}/onlineMeetings/${meetings.MEETING_ID}/aiInsights`;
    const { graph, client } = await cliAgainst([
      { method: 'GET', path: /^\/v1\.0\/me\/onlineMeetings$/, answer: (_q, res) => sendJson(res, meetings.onlineMeetings) },
      { method: 'GET', path: new RegExp(`^${escape(base)}$`), answer: (_q, res) => sendJson(res, meetings.insightList) },
      { method: 'GET', path: new RegExp(`^${escape(base)}/${escape(meetings.INSIGHT_ID)}$`), answer: (_q, res) => sendJson(res, meetings.insight) },
    ]);
    const r = await client.callTool('copilot_meeting_insights', { joinUrl: meetings.JOIN_URL });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({
      status: 'ready',
      meeting: { id: meetings.MEETING_ID, subject: 'Release readiness review' },
      insights: [{ id: meetings.INSIGHT_ID }],
      chosen: {
        actionItems: [{ title: 'Run the load test', owner: 'Isaiah Langer' }],
        mentions: [{ speaker: 'Isaiah Langer', utterance: 'Megan, can you confirm the rollback plan by Friday?' }],
      },
    });
    expect(JSON.stringify(r.structuredContent)).toContain('The team agreed to ship on 20 March');
    const lookup = new URL(graph.seen[0]!.url, graph.baseUrl);
    expect(lookup.searchParams.get('$filter')).toBe(`JoinWebUrl eq '${meetings.JOIN_URL}'`);
    expect(graph.unmatched).toEqual([]);
  });
});

describe('copilot_status on the documented /me', () => {
  it('names the signed-in user', async () => {
    const { client } = await cliAgainst([
      { method: 'GET', path: /^\/v1\.0\/me$/, answer: (_q, res) => sendJson(res, { id: meetings.USER_ID, displayName: 'Megan Bowen', userPrincipalName: 'megan.bowen@contoso.example', mail: 'megan.bowen@contoso.example' }) },
    ]);
    const r = await client.callTool('copilot_status', {});
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ signedIn: true, user: { id: meetings.USER_ID, upn: 'megan.bowen@contoso.example', displayName: 'Megan Bowen' } });
  });
});

/**
 * The export tools read Graph with an app-only token: it comes from the emulator's identity
 * service (a real token endpoint on loopback), while Graph is the replay.
 */
describe('the export tools on the documented interactions', () => {
  let emulator: EmulatorProcess;
  let dir: string;
  beforeAll(async () => {
    emulator = await useSharedEmulator({});
    dir = mkdtempSync(join(tmpdir(), 'contract-export-'));
  });
  afterAll(async () => {
    await emulator?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const exportRoute = (): ReplayRoute => ({
    method: 'GET',
    path: new RegExp(`^/v1\\.0/copilot/users/${meetings.USER_ID}/interactionHistory/getAllEnterpriseInteractions$`),
    answer: (q, res, base) => sendJson(res, new URL(q.url, base).searchParams.has('$skiptoken') ? { value: [] } : exportFixtures.page(`${base}/v1.0/copilot/users/${meetings.USER_ID}/interactionHistory/getAllEnterpriseInteractions?$top=100&$skiptoken=U2tpcFZhbHVlPTI`)),
  });
  const exportFlags = () => {
    const d = emulator.descriptor;
    return ['--tenant', d.tenantId, '--authority-host', d.authorityHost, '--ca-cert', d.caCertPath, '--export-client-id', d.apps.exportApp.clientId, '--export-client-secret', d.apps.exportApp.clientSecret];
  };

  it('copilot_export_interactions pairs the prompt and its response, null createdDateTime as no time', async () => {
    const { graph, client } = await cliAgainst([exportRoute()], exportFlags());
    const r = await client.callTool('copilot_export_interactions', { userId: meetings.USER_ID });
    expect(r.isError, textOf(r)).toBeFalsy();
    const out = r.structuredContent as { count: number; exchanges: { requestId?: string; app: string; interactions: { type: string; text: string; time?: string }[] }[] };
    expect(out.count).toBe(2);
    expect(out.exchanges).toHaveLength(1);
    expect(out.exchanges[0]!.requestId).toBe('GTdfvrXH1XyLvLwvCQo3K');
    expect(out.exchanges[0]!.interactions.map((i) => [i.type, i.time])).toEqual([
      ['prompt', '2026-03-03T14:26:01.008Z'],
      ['response', undefined],
    ]);
    expect(out.exchanges[0]!.interactions.map((i) => i.text.trim())).toEqual([exportFixtures.PROMPT_TEXT, expect.stringContaining(exportFixtures.ANSWER_TEXT)]);
    expect(graph.seen.some((s) => s.url.includes('$skiptoken'))).toBe(true);
  });

  it('copilot_export_interactions_to_file streams both lines into the file', async () => {
    const { client } = await cliAgainst([exportRoute()], [...exportFlags(), '--export-dir', dir]);
    const r = await client.callTool('copilot_export_interactions_to_file', { userIds: [meetings.USER_ID], outputFile: 'replay.jsonl' });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ count: 2, file: { complete: true, interactions: 2 } });
    const lines = readFileSync(join(dir, 'replay.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; type: string; time?: string });
    expect(lines.map((l) => [l.id, l.type, l.time])).toEqual([
      ['1772547961008', 'prompt', '2026-03-03T14:26:01.008Z'],
      ['1772547963412', 'response', undefined],
    ]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
