import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectClient, ERAS, textOf, type McpTestClient, type ToolResult } from '../helpers/mcpClients.js';
import { signInAs } from '../helpers/signIn.js';
import { factsOf } from './facts.js';

let emulator: EmulatorProcess;
let facts: TenantFacts;

beforeAll(async () => {
  emulator = await useSharedEmulator({ retrievalBudgetPerHour: 1000, deviceCodeIntervalSec: 1 });
  facts = await factsOf(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

const structured = <T>(r: ToolResult) => r.structuredContent as T;
type Retrieve = { hits: { url: string; title?: string; source: string; resourceType: string; extracts: { text: string; relevanceScore?: number }[]; sensitivityLabel?: { id: string; name?: string; priority?: number }; metadata?: Record<string, string> }[]; sources: { source: string; status: string; hitCount: number; error?: { code: string; graphCode?: string } }[] };
type Export = { user: { id: string; upn?: string }; count: number; exchanges: { requestId?: string; sessionId: string; app: string; interactions: { id: string; type: string; text: string; time: string }[] }[]; nextCursor?: string; window?: { since: string; until: string } };
type InsightContent = { notes: { title: string; subpoints: unknown[] }[]; actionItems: { title: string; owner?: string }[]; mentions: { utterance: string }[] };
type MeetingOut = { id: string; subject?: string; start?: string; end?: string };
type Insights = { status: string; message: string; meeting?: MeetingOut; insights: { id: string }[]; chosen?: InsightContent; latestReady?: { meeting: MeetingOut; insights: { id: string }[]; chosen: InsightContent } };

describe.each(ERAS)('tools over stdio, %s client', (era) => {
  let demo: McpTestClient;

  beforeAll(async () => {
    demo = await connectClient(era, ['--emulator', emulator.file, '--sign-in-wait', '0']);
    await signInAs(demo, emulator, facts.demoUser.upn);
  });
  afterAll(async () => {
    await demo?.close();
  });

  it('copilot_status names the signed-in user, tenant, endpoints and the scopes granted so far', async () => {
    await demo.callTool('copilot_meeting_insights', { latest: true });
    const r = await demo.callTool('copilot_status', {});
    expect(r.isError).toBeFalsy();
    const s = structured<{ user: { id: string; upn: string; tenantId: string }; tenantSource: string; grantedScopes: string[]; graphBaseUrl: string; exportConfigured: boolean }>(r);
    expect(s.user).toMatchObject({ id: facts.demoUser.id, upn: facts.demoUser.upn, tenantId: emulator.descriptor.tenantId });
    expect(s.tenantSource).toBe('emulator');
    expect(s.graphBaseUrl).toBe(emulator.descriptor.graphBaseUrl);
    // Scopes are requested per tool, incrementally: status and insights have been used so far.
    expect(s.grantedScopes).toEqual(expect.arrayContaining(['User.Read', 'OnlineMeetingAiInsight.Read.All']));
    expect(s.exportConfigured).toBe(true);
    expect(textOf(r)).toContain(facts.demoUser.upn);
  });

  it('copilot_retrieve finds the VPN guide with extracts, score and label', async () => {
    const r = await demo.callTool('copilot_retrieve', { query: facts.vpnGuide.query });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = structured<Retrieve>(r);
    expect(s.sources.map((x) => [x.source, x.status])).toEqual([['sharePoint', 'ok'], ['oneDriveBusiness', 'ok']]);
    const top = s.hits[0]!;
    expect(top.url).toBe(facts.vpnGuide.document.webUrl);
    expect(top.title).toBe(facts.vpnGuide.document.title);
    expect(top.source).toBe('sharePoint');
    expect(top.extracts.length).toBeGreaterThan(0);
    expect(top.extracts[0]!.relevanceScore).toBeGreaterThan(0);
    expect(top.extracts[0]!.relevanceScore).toBeLessThanOrEqual(1);
    expect(top.sensitivityLabel).toMatchObject({ id: facts.vpnGuide.label.id, name: facts.vpnGuide.label.displayName, priority: facts.vpnGuide.label.priority });
    expect(new Set(s.hits.map((h) => h.url)).size).toBe(s.hits.length);
    expect(textOf(r)).toContain(facts.vpnGuide.document.webUrl);
  });

  it('copilot_retrieve applies a KQL filter and returns requested metadata', async () => {
    const r = await demo.callTool('copilot_retrieve', { query: facts.kqlExample.query, filter: facts.kqlExample.filterExpression, metadata: ['fileExtension', 'author'] });
    const s = structured<Retrieve>(r);
    expect(s.hits.length).toBeGreaterThan(0);
    for (const h of s.hits) expect(h.metadata?.['fileExtension']?.toLowerCase()).toBe(facts.kqlExample.fileExtension);
    const unfiltered = structured<Retrieve>(await demo.callTool('copilot_retrieve', { query: facts.kqlExample.query, metadata: ['fileExtension'] }));
    expect(unfiltered.hits.some((h) => h.metadata?.['fileExtension']?.toLowerCase() !== facts.kqlExample.fileExtension)).toBe(true);
  });

  it('copilot_retrieve searches several sources in one $batch and survives a failing source', async () => {
    await emulator.resetStats();
    const r = await demo.callTool('copilot_retrieve', { query: facts.connector.query, sources: ['sharePoint', 'externalItem'], connectionIds: ['NoSuchConnection'] });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = structured<Retrieve>(r);
    const bySource = Object.fromEntries(s.sources.map((x) => [x.source, x]));
    expect(bySource['sharePoint']!.status).toBe('ok');
    expect(bySource['externalItem']!.status).toBe('error');
    expect(bySource['externalItem']!.error?.code).toBeTruthy();
    expect(s.hits.length).toBeGreaterThan(0);
    const stats = await emulator.stats();
    expect(stats.graphRequests.byRoute['POST /$batch']?.['200']).toBe(1);

    const ok = structured<Retrieve>(await demo.callTool('copilot_retrieve', { query: facts.connector.query, sources: ['externalItem'], connectionIds: [facts.connector.connection.id] }));
    expect(ok.hits.some((h) => h.url === facts.connector.item.webUrl && h.resourceType === 'externalItem')).toBe(true);
    // No connectionIds: every connection the user can read (copilotroot-retrieval.md Example 2 sends no dataSourceConfiguration).
    const all = structured<Retrieve>(await demo.callTool('copilot_retrieve', { query: facts.connector.query, sources: ['externalItem'] }));
    expect(all.hits.some((h) => h.url === facts.connector.item.webUrl && h.resourceType === 'externalItem')).toBe(true);
  });

  it('copilot_export_interactions pages with a cursor without gaps or overlap', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const r = await demo.callTool('copilot_export_interactions', { userId: facts.interactions.user.id, limit: 400, ...(cursor ? { cursor } : {}) });
      expect(r.isError, textOf(r)).toBeFalsy();
      const s = structured<Export>(r);
      for (const ex of s.exchanges) for (const i of ex.interactions) seen.push(i.id);
      expect(s.count).toBeGreaterThan(0);
      // limit is a maximum, and the text carries the cursor for clients that show only text.
      expect(s.count).toBeLessThanOrEqual(400);
      if (s.nextCursor) expect(textOf(r)).toContain(s.nextCursor);
      cursor = s.nextCursor;
      calls++;
    } while (cursor && calls < 100);
    expect(seen.length).toBe(facts.interactions.total);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('copilot_export_interactions never returns more than limit, and keeps a prompt with its responses when it can', async () => {
    for (const limit of [1, 2, 3, 7]) {
      const s = structured<Export>(await demo.callTool('copilot_export_interactions', { userId: facts.interactions.user.id, limit }));
      expect(s.count, `limit ${limit}`).toBeLessThanOrEqual(limit);
      expect(s.count).toBeGreaterThan(0);
      // Only a single exchange bigger than the limit is ever split.
      if (s.exchanges.length > 1) for (const ex of s.exchanges.slice(0, -1)) expect(ex.interactions.length).toBeGreaterThan(0);
    }
  });

  it('copilot_export_interactions pairs prompts with responses, filters by app and accepts a UPN', async () => {
    const [appClass, expected] = Object.entries(facts.interactions.byAppClass).find(([k]) => k.endsWith('.Word'))!;
    expect(appClass).toBeTruthy();
    const r = await demo.callTool('copilot_export_interactions', { userId: facts.interactions.user.upn, appClass: ['word'], limit: 1000 });
    const s = structured<Export>(r);
    expect(s.user.id).toBe(facts.interactions.user.id);
    expect(s.count).toBe(Math.min(expected, 1000));
    expect(s.exchanges.every((e) => e.app === 'word')).toBe(true);
    const paired = s.exchanges.filter((e) => e.interactions.length >= 2);
    expect(paired.length).toBeGreaterThan(0);
    for (const e of paired) {
      expect(e.interactions[0]!.type).toBe('prompt');
      expect(e.interactions.slice(1).every((i) => i.type === 'response')).toBe(true);
    }
    expect(paired[0]!.interactions[0]!.text.length).toBeGreaterThan(0);
    expect(paired[0]!.interactions[1]!.text).not.toMatch(/<attachment|<\/?p>/);
  });

  it('copilot_export_interactions completes a one-sided window', async () => {
    const since = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const s = structured<Export>(await demo.callTool('copilot_export_interactions', { userId: facts.interactions.user.id, since, limit: 5 }));
    expect(s.window?.since).toBe(since);
    expect(Date.parse(s.window!.until)).toBeGreaterThan(Date.parse(since));
    for (const ex of s.exchanges) for (const i of ex.interactions) expect(Date.parse(i.time)).toBeGreaterThan(Date.parse(since));
  });

  it('copilot_meeting_insights resolves a join URL and returns notes, action items and mentions', async () => {
    const m = facts.meetings.withInsights.meeting;
    const r = await demo.callTool('copilot_meeting_insights', { joinUrl: m.joinWebUrl });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = structured<Insights>(r);
    expect(s.status).toBe('ready');
    expect(s.meeting?.id).toBe(m.id);
    expect(s.chosen!.notes.length).toBeGreaterThan(0);
    expect(s.chosen!.actionItems.length).toBeGreaterThan(0);
    expect(s.chosen!.actionItems.some((a) => a.owner)).toBe(true);
    expect(s.chosen!.mentions.length).toBe(facts.meetings.withInsights.insight.mentionsByUser[facts.demoUser.id]?.length ?? 0);
  });

  it('copilot_meeting_insights tells not-ready, no-transcript and not-found apart', async () => {
    const notReady = structured<Insights>(await demo.callTool('copilot_meeting_insights', { joinUrl: facts.meetings.notReady.joinWebUrl }));
    expect(notReady.status).toBe('notReady');
    expect(notReady.message).toMatch(/4 hours/);
    const none = structured<Insights>(await demo.callTool('copilot_meeting_insights', { joinUrl: facts.meetings.noTranscript.joinWebUrl }));
    expect(none.status).toBe('noTranscript');
    const missing = structured<Insights>(await demo.callTool('copilot_meeting_insights', { joinUrl: 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_doesnotexist%40thread.v2/0' }));
    expect(missing.status).toBe('notFound');
    const notMine = structured<Insights>(await demo.callTool('copilot_meeting_insights', { joinUrl: facts.meetings.notAttended.joinWebUrl }));
    expect(notMine.status).toBe('notFound');
    const two = structured<Insights>(await demo.callTool('copilot_meeting_insights', { meetingId: facts.meetings.twoTranscripts.id }));
    expect(two.insights.length).toBe(2);
    expect(two.status).toBe('ready');
  });

  it('copilot_meeting_insights {latest: true}: the latest meeting is still being processed, so it says so and offers the latest ready one', async () => {
    const r = await demo.callTool('copilot_meeting_insights', { latest: true });
    const s = structured<Insights>(r);
    expect(s.status).toBe('notReady');
    expect(s.meeting?.id).toBe(facts.meetings.notReady.id);
    expect(s.message).toMatch(/4 hours/);
    const ready = facts.meetings.latestReady;
    expect(s.latestReady?.meeting).toMatchObject({ id: ready.id, subject: ready.subject, start: ready.startDateTime, end: ready.endDateTime });
    expect(s.latestReady!.chosen.actionItems.map((a) => a.title)).toEqual(ready.insights[0]!.actionItems.map((a) => a.title));
    expect(s.message).toContain(ready.subject);
    // The text a model reads carries the ready meeting's action items too.
    expect(textOf(r)).toContain(ready.insights[0]!.actionItems[0]!.title);
  });

  it('copilot_meeting_insights gives one answer for a meeting, by join URL or by id; a ready answer by id carries subject and date', async () => {
    for (const m of [facts.meetings.notReady, facts.meetings.noTranscript, facts.meetings.withInsights.meeting]) {
      const byUrl = structured<Insights>(await demo.callTool('copilot_meeting_insights', { joinUrl: m.joinWebUrl }));
      const byId = structured<Insights>(await demo.callTool('copilot_meeting_insights', { meetingId: m.id }));
      expect(byId, m.subject).toEqual(byUrl);
    }
    const ready = facts.meetings.withInsights.meeting;
    const r = await demo.callTool('copilot_meeting_insights', { meetingId: ready.id });
    const s = structured<Insights>(r);
    expect(s.status).toBe('ready');
    expect(s.meeting).toMatchObject({ id: ready.id, subject: ready.subject, start: ready.startDateTime, end: ready.endDateTime });
    expect(textOf(r)).toContain(ready.subject);
    expect(textOf(r)).toContain(ready.startDateTime);
    const unknown = structured<Insights>(await demo.callTool('copilot_meeting_insights', { meetingId: facts.meetings.notAttended.id }));
    expect(unknown.status).toBe('notFound');
  });

  it('refuses invalid arguments before any Graph call, naming the argument and the rule', async () => {
    await emulator.resetStats();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['copilot_retrieve', { query: 'x'.repeat(1501) }, /query/],
      ['copilot_retrieve', { query: '' }, /query/],
      ['copilot_retrieve', { query: 'vpn', maxResults: 26 }, /maxResults/],
      ['copilot_retrieve', { query: 'vpn', connectionIds: ['ContosoITKB'] }, /connectionIds only applies/],
      ['copilot_retrieve', { query: 'vpn', sources: ['intranet'] }, /sources/],
      ['copilot_export_interactions', { userId: 'not a user' }, /userId/],
      ['copilot_export_interactions', { userId: facts.demoUser.id, limit: 1001 }, /limit/],
      ['copilot_export_interactions', { userId: facts.demoUser.id, since: 'yesterday' }, /since/],
      ['copilot_export_interactions', { userId: facts.demoUser.id, cursor: 'garbage' }, /cursor/],
      ['copilot_meeting_insights', {}, /exactly one of joinUrl, meetingId or latest/],
      ['copilot_meeting_insights', { joinUrl: 'not a url' }, /joinUrl/],
    ];
    for (const [tool, args, pattern] of cases) {
      const r = await demo.callTool(tool, args);
      expect(r.isError, `${tool} ${JSON.stringify(args).slice(0, 80)}`).toBe(true);
      expect(textOf(r)).toMatch(pattern);
    }
    const stats = await emulator.stats();
    // Only the cursor case reaches Graph (to resolve nothing: the cursor is checked first) — none at all.
    expect(stats.graphRequests.total).toBe(0);
  });

  it('a refused argument gets one InvalidArgument: the argument, its rule, a valid value, the next step (issue 15, friction 6)', async () => {
    const wrongType = textOf(await demo.callTool('copilot_retrieve', { query: 'vpn', sources: 'sharePoint' }));
    expect(wrongType).toMatch(/^Error \[InvalidArgument\]: invalid arguments for copilot_retrieve: sources: Invalid input: expected array, received string \(e\.g\. \["sharePoint","oneDriveBusiness"\]\)\nNext step: Fix sources/);
    expect(wrongType, 'no contradictory length message on a value of the wrong type').not.toMatch(/Too big|Too small/);
    const notUrl = textOf(await demo.callTool('copilot_meeting_insights', { joinUrl: 'meeting tomorrow' }));
    expect(notUrl).toMatch(/joinUrl: .* \(e\.g\. "https:\/\/teams\.microsoft\.com\/l\/meetup-join\//);
  });
});

describe('permissions, licences and Graph errors', () => {
  const clients: McpTestClient[] = [];
  const connectAs = async (upn: string) => {
    const c = await connectClient('v2-2026', ['--emulator', emulator.file, '--sign-in-wait', '0']);
    clients.push(c);
    await signInAs(c, emulator, upn);
    return c;
  };
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it("a user never retrieves another user's private OneDrive document", async () => {
    const { privateDoc } = facts;
    const owner = await connectAs(privateDoc.owner.upn);
    const asOwner = structured<Retrieve>(await owner.callTool('copilot_retrieve', { query: privateDoc.query, sources: ['oneDriveBusiness'] }));
    expect(asOwner.hits.map((h) => h.url)).toContain(privateDoc.document.webUrl);
    const outsider = await connectAs(privateDoc.outsider.upn);
    const asOutsider = structured<Retrieve>(await outsider.callTool('copilot_retrieve', { query: privateDoc.query, sources: ['sharePoint', 'oneDriveBusiness'] }));
    expect(asOutsider.hits.map((h) => h.url)).not.toContain(privateDoc.document.webUrl);
    expect(JSON.stringify(asOutsider)).not.toContain(privateDoc.document.chunks[0]!.slice(0, 40));
    // The restricted site, too.
    const { restrictedDoc } = facts;
    const blocked = structured<Retrieve>(await outsider.callTool('copilot_retrieve', { query: restrictedDoc.query, sources: ['sharePoint'] }));
    if (restrictedDoc.outsider.upn === privateDoc.outsider.upn) expect(blocked.hits.map((h) => h.url)).not.toContain(restrictedDoc.document.webUrl);
  });

  it('an unlicensed user gets LicenseRequired with the Graph request id', async () => {
    const c = await connectAs(facts.unlicensedUser.upn);
    const r = await c.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/\[LicenseRequired\]/);
    expect(textOf(r)).toMatch(/requestId: [0-9a-f-]{36}/);
    expect(textOf(r)).toMatch(/Next step:/);
  });

  it('a rejected token (signing key rolled over) is refreshed once, transparently', async () => {
    const c = clients[0]!;
    const before = await emulator.stats();
    const rolled = await emulator.control('/keys/rotate', {});
    expect(rolled.status).toBe(200);
    const r = await c.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
    expect(r.isError, textOf(r)).toBeFalsy();
    const after = await emulator.stats();
    expect(after.tokenRequests.byGrant['refresh_token'] ?? 0).toBeGreaterThan(before.tokenRequests.byGrant['refresh_token'] ?? 0);
  });
});
