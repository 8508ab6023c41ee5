import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { deviceCodeTokens } from '../helpers/emulatorToken.js';
import { connectClient, ERAS, textOf, type McpTestClient, type ToolResult } from '../helpers/mcpClients.js';
import { signInAs } from '../helpers/signIn.js';
import { factsOf } from './facts.js';

type Counts = { enabledUsers: number; activeUsers: number };
type Usage = {
  report: string;
  period: string;
  reportRefreshDate?: string;
  summary?: { reportPeriodDays: number; byApp: Record<string, Counts> };
  trend?: { reportDate: string; byApp: Record<string, Counts> }[];
  users?: { userPrincipalName: string; displayName: string; lastActivityDate?: string; lastActivityByApp: Record<string, string> }[];
  totalUsers?: number;
  activeUsers?: number;
  truncated: boolean;
  identitiesConcealed: boolean;
};
type Reports = TenantFacts['usageReports'];
type RawCounts = Record<string, number | string>;

const PERIODS = ['D7', 'D30', 'D90', 'D180'] as const;
const SUMMARY_V1_HEADER =
  'Report Refresh Date,Report Period,Microsoft Teams Enabled Users,Microsoft Teams Active Users,Word Enabled Users,Word Active Users,PowerPoint Enabled Users,PowerPoint Active Users,Outlook Enabled Users,Outlook Active Users,Excel Enabled Users,Excel Active Users,OneNote Enabled Users,OneNote Active Users,Loop Enabled Users,Loop Active Users,Any App Enabled Users,Any App Active Users,Copilot Chat Enabled Users,Copilot Chat Active Users';
const V2_APPS = ['edge', 'microsoft365Copilot', 'copilotChatWork', 'copilotChatWeb'];
const APPS = ['anyApp', 'copilotChat', 'microsoftTeams', 'word', 'excel', 'powerPoint', 'outlook', 'oneNote', 'loop'];
const DETAIL_FIELDS: Record<string, string> = {
  copilotChat: 'copilotChatLastActivityDate',
  microsoftTeams: 'microsoftTeamsCopilotLastActivityDate',
  word: 'wordCopilotLastActivityDate',
  excel: 'excelCopilotLastActivityDate',
  powerPoint: 'powerPointCopilotLastActivityDate',
  outlook: 'outlookCopilotLastActivityDate',
  oneNote: 'oneNoteCopilotLastActivityDate',
  loop: 'loopCopilotLastActivityDate',
};

const byAppOf = (row: RawCounts) => Object.fromEntries(APPS.map((a) => [a, { enabledUsers: row[`${a}EnabledUsers`], activeUsers: row[`${a}ActiveUsers`] }]));
const structured = (r: ToolResult) => r.structuredContent as Usage;

let emulator: EmulatorProcess;
let facts: TenantFacts;
let reports: Reports;

beforeAll(async () => {
  emulator = await useSharedEmulator({ deviceCodeIntervalSec: 1 });
  facts = await factsOf(emulator);
  reports = facts.usageReports;
});
afterAll(async () => {
  await emulator?.stop();
});

describe('emulated usage report endpoints', () => {
  let token: string;
  const graph = (path: string) => fetch(`${emulator.descriptor.graphBaseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  beforeAll(async () => {
    token = (await deviceCodeTokens(emulator, facts.demoUser.upn, ['Reports.Read.All'])).access_token;
  });

  it('data are derived from the interactions: some activity, counts within the licensed users', () => {
    expect(reports.licensedUsers).toBe(emulator.descriptor.users.filter((u) => u.copilotLicense).length);
    expect(reports.byPeriod.D7.summary.anyAppEnabledUsers).toBe(reports.licensedUsers);
    const s180 = reports.byPeriod.D180.summary;
    expect(s180.anyAppActiveUsers).toBeGreaterThan(0);
    for (const p of PERIODS) for (const a of APPS) expect((reports.byPeriod[p].summary as unknown as RawCounts)[`${a}ActiveUsers`]).toBeLessThanOrEqual(reports.licensedUsers);
    // Longer periods never have fewer active users.
    expect(reports.byPeriod.D7.summary.anyAppActiveUsers).toBeLessThanOrEqual(reports.byPeriod.D30.summary.anyAppActiveUsers!);
    expect(reports.byPeriod.D30.summary.anyAppActiveUsers).toBeLessThanOrEqual(s180.anyAppActiveUsers!);
    expect(reports.byPeriod.D90.trend).toHaveLength(90);
    expect(reports.roleHolders).toContain(facts.demoUser.upn);
  });

  // m365copilot-docs@90efae84 docs/api/admin-settings/reports/*: the v1.0 example sends $format=application/json and gets CSV.
  it('v1.0 answers CSV with the documented header row, whatever $format says', async () => {
    const res = await graph("/v1.0/copilot/reports/getMicrosoft365CopilotUserCountSummary(period='D7')");
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const [header, row] = (await res.text()).trim().split(/\r?\n/);
    expect(header).toBe(SUMMARY_V1_HEADER);
    expect(row?.startsWith(`${reports.reportRefreshDate},7,`)).toBe(true);

    const detail = await graph("/v1.0/copilot/reports/getMicrosoft365CopilotUsageUserDetail(period='D30')");
    expect((await detail.text()).split(/\r?\n/)[0]).toBe(
      'Report Refresh Date,User Principal Name,Display Name,Last Activity Date,Copilot Chat Last Activity Date,Microsoft Teams Copilot Last Activity Date,Word Copilot Last Activity Date,Excel Copilot Last Activity Date,PowerPoint Copilot Last Activity Date,Outlook Copilot Last Activity Date,OneNote Copilot Last Activity Date,Loop Copilot Last Activity Date,Report Period',
    );
    const trend = await graph("/v1.0/copilot/reports/getMicrosoft365CopilotUserCountTrend(period='D7')");
    expect((await trend.text()).trim().split(/\r?\n/)).toHaveLength(8);

    for (const format of ['application/json', 'json', 'text/csv', 'anything']) {
      const asked = await graph(`/v1.0/copilot/reports/getMicrosoft365CopilotUserCountSummary(period='D7')?$format=${encodeURIComponent(format)}`);
      expect(asked.status, format).toBe(200);
      expect(asked.headers.get('content-type'), format).toBe('application/octet-stream');
      expect((await asked.text()).split(/\r?\n/)[0], format).toBe(SUMMARY_V1_HEADER);
    }
  });

  it('version v2: D28 instead of D30, the added columns in CSV (v1.0) and JSON (beta)', async () => {
    const csv = await graph("/v1.0/copilot/reports/getMicrosoft365CopilotUserCountSummary(period='D28',version='v2')");
    expect(csv.status).toBe(200);
    const [header, row] = (await csv.text()).trim().split(/\r?\n/);
    expect(header).toBe(
      `${SUMMARY_V1_HEADER},Edge Enabled Users,Edge Active Users,Microsoft 365 Copilot Enabled Users,Microsoft 365 Copilot Active Users,Copilot Chat (work) Enabled Users,Copilot Chat (work) Active Users,Copilot Chat (web) Enabled Users,Copilot Chat (web) Active Users,Total prompts submitted,Average prompts submitted`,
    );
    expect(row?.startsWith(`${reports.reportRefreshDate},28,`)).toBe(true);
    const v2 = reports.v2.byPeriod.D28.summary;
    expect(v2.totalPromptsSubmitted).toBeGreaterThan(0);
    expect(v2.copilotChatWorkActiveUsers).toBeLessThanOrEqual(v2.copilotChatActiveUsers!);
    const beta = (await (await graph("/beta/copilot/reports/getMicrosoft365CopilotUserCountSummary(period='D28',version='v2')")).json()) as { value: { adoptionByProduct: unknown[] }[] };
    expect(beta.value[0]!.adoptionByProduct).toEqual([v2]);
    const detail = (await (await graph("/beta/copilot/reports/getMicrosoft365CopilotUsageUserDetail(period='D28',version='v2')")).json()) as { value: Record<string, unknown>[] };
    expect(detail.value[0]).toHaveProperty('promptsSubmittedForAllApps');
    expect(detail.value[0]).toHaveProperty('copilotChatWorkLastActivityDate');
    for (const bad of ["(period='D30',version='v2')", "(period='D28')", "(period='D7',version='v3')"]) {
      const res = await graph(`/v1.0/copilot/reports/getMicrosoft365CopilotUserCountSummary${bad}`);
      expect(res.status, bad).toBe(400);
    }
  });

  it('beta answers JSON without $format; ALL gives every period; bad periods are 400', async () => {
    const beta = await graph("/beta/copilot/reports/getMicrosoft365CopilotUserCountTrend(period='D7')");
    expect(await beta.json()).toEqual({ value: [{ reportRefreshDate: reports.reportRefreshDate, reportPeriod: 7, adoptionByDate: reports.byPeriod.D7.trend }] });
    const all = (await (await graph("/beta/copilot/reports/getMicrosoft365CopilotUserCountSummary(period='ALL')")).json()) as { value: { adoptionByProduct: { reportPeriod: number }[] }[] };
    expect(all.value[0]!.adoptionByProduct.map((r) => r.reportPeriod)).toEqual([7, 30, 90, 180]);
    for (const bad of ["(period='D8')", "(period='')", '', "(period='D7',colour='blue')"]) {
      const res = await graph(`/v1.0/copilot/reports/getMicrosoft365CopilotUsageUserDetail${bad}?$format=application/json`);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error.message).toMatch(/period|parameter/);
    }
  });

  it('refuses a token without Reports.Read.All, and a user without a reports role', async () => {
    const noScope = (await deviceCodeTokens(emulator, facts.demoUser.upn, ['User.Read'])).access_token;
    const res = await fetch(`${emulator.descriptor.graphBaseUrl}/v1.0/copilot/reports/getMicrosoft365CopilotUserCountSummary(period='D7')`, { headers: { authorization: `Bearer ${noScope}` } });
    expect(res.status).toBe(403);
    const outsider = emulator.descriptor.users.find((u) => !reports.roleHolders.includes(u.upn))!;
    const outsiderToken = (await deviceCodeTokens(emulator, outsider.upn, ['Reports.Read.All'])).access_token;
    const denied = await fetch(`${emulator.descriptor.graphBaseUrl}/v1.0/copilot/reports/getMicrosoft365CopilotUserCountSummary(period='D7')`, { headers: { authorization: `Bearer ${outsiderToken}` } });
    expect(denied.status).toBe(403);
    expect(await denied.text()).toMatch(/Reports Reader/);
  });
});

describe.each(ERAS)('copilot_usage_report over stdio, %s client', (era) => {
  let demo: McpTestClient;

  beforeAll(async () => {
    demo = await connectClient(era, ['--emulator', emulator.file, '--sign-in-wait', '0']);
    await signInAs(demo, emulator, facts.demoUser.upn);
  });
  afterAll(async () => {
    await demo?.close();
  });

  it.each(PERIODS)('userCountSummary %s matches the emulator', async (period) => {
    const r = await demo.callTool('copilot_usage_report', { report: 'userCountSummary', period });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = structured(r);
    const expected = reports.byPeriod[period].summary as unknown as RawCounts;
    expect(s).toMatchObject({ report: 'userCountSummary', version: 'v1', period, reportRefreshDate: reports.reportRefreshDate, truncated: false, identitiesConcealed: false });
    expect(s.summary).toEqual({ reportPeriodDays: Number(period.slice(1)), byApp: byAppOf(expected) });
    expect(textOf(r)).toContain(`any app ${expected['anyAppActiveUsers']}/${expected['anyAppEnabledUsers']}`);
    expect(textOf(r)).not.toContain('Report Refresh Date');
  });

  it.each(PERIODS)('userCountTrend %s matches the emulator, oldest day first', async (period) => {
    const r = await demo.callTool('copilot_usage_report', { report: 'userCountTrend', period });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = structured(r);
    const expected = [...reports.byPeriod[period].trend].reverse();
    expect(s.trend).toHaveLength(Number(period.slice(1)));
    expect(s.trend).toEqual(expected.map((row) => ({ reportDate: row.reportDate, byApp: byAppOf(row as unknown as RawCounts) })));
    expect(s.trend!.at(-1)!.reportDate).toBe(reports.reportRefreshDate);
  });

  it.each(PERIODS)('userDetail %s lists every licensed user with per-app last activity', async (period) => {
    const r = await demo.callTool('copilot_usage_report', { report: 'userDetail', period });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = structured(r);
    const expected = reports.byPeriod[period].userDetail;
    expect(s.totalUsers).toBe(expected.length);
    expect(s.activeUsers).toBe(expected.filter((u) => u.lastActivityDate).length);
    expect(s.identitiesConcealed).toBe(false);
    expect(s.truncated).toBe(false);
    const byUpn = new Map(s.users!.map((u) => [u.userPrincipalName, u]));
    for (const e of expected) {
      const u = byUpn.get(e.userPrincipalName)!;
      expect(u.displayName).toBe(e.displayName);
      expect(u.lastActivityDate).toBe(e.lastActivityDate || undefined);
      const apps = Object.fromEntries(Object.entries(DETAIL_FIELDS).flatMap(([app, field]) => ((e as unknown as Record<string, string>)[field] ? [[app, (e as unknown as Record<string, string>)[field]]] : [])));
      expect(u.lastActivityByApp).toEqual(apps);
    }
    // Most recently active first.
    const dates = s.users!.map((u) => u.lastActivityDate ?? '');
    expect(dates).toEqual([...dates].sort().reverse());
    expect(textOf(r)).toMatch(new RegExp(`${s.activeUsers} of ${s.totalUsers} licensed user`));
  });

  it('defaults to D30 (v1) and D28 (v2)', async () => {
    const s = structured(await demo.callTool('copilot_usage_report', { report: 'userCountSummary' }));
    expect(s.period).toBe('D30');
    expect(s.summary?.reportPeriodDays).toBe(30);
    const v2 = structured(await demo.callTool('copilot_usage_report', { report: 'userCountSummary', version: 'v2' }));
    expect(v2.period).toBe('D28');
    expect(v2.summary?.reportPeriodDays).toBe(28);
  });

  it('version v2 reads the added columns from the CSV: per-app counts, prompts, per-user figures', async () => {
    const summary = structured(await demo.callTool('copilot_usage_report', { report: 'userCountSummary', version: 'v2', period: 'D28' }));
    const expected = reports.v2.byPeriod.D28.summary as unknown as RawCounts;
    expect(summary.summary).toEqual({
      reportPeriodDays: 28,
      byApp: Object.fromEntries([...APPS, ...V2_APPS].map((a) => [a, { enabledUsers: expected[`${a}EnabledUsers`], activeUsers: expected[`${a}ActiveUsers`] }])),
      totalPromptsSubmitted: expected['totalPromptsSubmitted'],
      averagePromptsSubmitted: expected['averagePromptsSubmitted'],
    });
    const trend = structured(await demo.callTool('copilot_usage_report', { report: 'userCountTrend', version: 'v2', period: 'D7' }));
    expect(trend.trend!.map((d) => (d as { promptsSubmitted?: number }).promptsSubmitted)).toEqual([...reports.v2.byPeriod.D7.trend].reverse().map((d) => d.promptsSubmitted));
    const detail = structured(await demo.callTool('copilot_usage_report', { report: 'userDetail', version: 'v2', period: 'D90' }));
    const byUpn = new Map(detail.users!.map((u) => [u.userPrincipalName, u as typeof u & { promptsSubmitted?: Record<string, number>; activeUsageDays?: number }]));
    for (const e of reports.v2.byPeriod.D90.userDetail) {
      const u = byUpn.get(e.userPrincipalName)!;
      expect(u.promptsSubmitted?.allApps).toBe(e.promptsSubmittedForAllApps);
      expect(u.activeUsageDays).toBe(e.activeUsageDaysForAllApps);
      expect(u.lastActivityByApp['copilotChatWork']).toBe(e.copilotChatWorkLastActivityDate || undefined);
    }
  });

  it('refuses an invalid period or report before any Graph call, naming the argument', async () => {
    await emulator.resetStats();
    for (const [args, name] of [
      [{ report: 'userDetail', period: 'D14' }, /period/],
      [{ report: 'userDetail', period: 'ALL' }, /period/],
      [{ report: 'userDetail', version: 'v2', period: 'D30' }, /D28, not D30/],
      [{ report: 'userDetail', version: 'v1', period: 'D28' }, /D30, not D28/],
      [{ report: 'everything' }, /report/],
    ] as const) {
      const r = await demo.callTool('copilot_usage_report', args);
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(r)).toMatch(name);
    }
    expect((await emulator.stats()).graphRequests.total).toBe(0);
  });
});

/**
 * A proxy between the server and Graph, rewriting the v1.0 CSV answer. `conceal`: it replaces
 * names as a tenant that conceals user names in reports does (32 hex digits). `quoted`: it adds a
 * UTF-8 BOM and quotes every field, a display name carrying a comma and a quote. `page`: a proxy's
 * own HTML page answers instead of Graph, naming a user.
 */
describe('through a proxy: concealed names, BOM and quoted fields, a page instead of the report', () => {
  let proxy: Server;
  let dir: string;
  let client: McpTestClient;
  let mode: 'conceal' | 'quoted' | 'page' = 'conceal';

  beforeAll(async () => {
    const upstream = new URL(emulator.descriptor.graphBaseUrl);
    const { createHash } = await import('node:crypto');
    const { parse } = await import('csv-parse/sync');
    const hash = (v: string) => createHash('md5').update(v).digest('hex').toUpperCase();
    const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
    proxy = createServer((req, res) => {
      const url = new URL(req.url ?? '/', upstream);
      const isReport = /\/reports\//i.test(url.pathname);
      const out = httpRequest(url, { method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
        if (!isReport) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          if (mode === 'page') {
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
            res.end(`<html><body><h1>Sign in</h1><p>Welcome back, ${facts.demoUser.upn}</p></body></html>`);
            return;
          }
          const rows = parse(Buffer.concat(chunks).toString('utf8')) as string[][];
          const [header, ...body] = rows;
          const upn = header!.indexOf('User Principal Name');
          const name = header!.indexOf('Display Name');
          for (const row of body) {
            if (mode === 'conceal') {
              row[upn] = hash(row[upn]!);
              row[name] = hash(row[name]!);
            } else row[name] = `${row[name]}, "the second"`;
          }
          const text = (mode === 'quoted' ? '\ufeff' : '') + [header!, ...body].map((r) => r.map((v) => (mode === 'quoted' ? quote(v) : v)).join(',')).join('\r\n');
          const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(text)) };
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(text);
        });
      });
      req.pipe(out);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    dir = mkdtempSync(join(tmpdir(), 'usage-proxy-'));
    const file = join(dir, 'emulator.json');
    writeFileSync(file, JSON.stringify({ ...emulator.descriptor, graphBaseUrl: `http://127.0.0.1:${port}` }));
    client = await connectClient('v2-2026', ['--emulator', file, '--sign-in-wait', '0']);
    await signInAs(client, emulator, facts.demoUser.upn);
  });
  afterAll(async () => {
    await client?.close();
    await new Promise((r) => proxy?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('flags concealed user names', async () => {
    mode = 'conceal';
    const r = await client.callTool('copilot_usage_report', { report: 'userDetail', period: 'D30' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = structured(r);
    expect(s.identitiesConcealed).toBe(true);
    expect(s.totalUsers).toBe(reports.licensedUsers);
    for (const u of s.users!) expect(u.userPrincipalName).toMatch(/^[0-9A-F]{32}$/);
    expect(textOf(r)).toContain('concealed');
  });

  it('reads a CSV with a BOM and quoted fields (commas and quotes inside)', async () => {
    mode = 'quoted';
    const r = await client.callTool('copilot_usage_report', { report: 'userDetail', period: 'D30' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const s = structured(r);
    expect(s.reportRefreshDate).toBe(reports.reportRefreshDate);
    expect(s.totalUsers).toBe(reports.licensedUsers);
    const expected = new Map(reports.byPeriod.D30.userDetail.map((u) => [u.userPrincipalName, u]));
    for (const u of s.users!) {
      expect(u.displayName).toBe(`${expected.get(u.userPrincipalName)!.displayName}, "the second"`);
      expect(u.lastActivityDate).toBe(expected.get(u.userPrincipalName)!.lastActivityDate || undefined);
    }
  });

  it('refuses a page that is not the report as BadGraphResponse, quoting none of it', async () => {
    mode = 'page';
    const r = await client.callTool('copilot_usage_report', { report: 'userDetail', period: 'D7' });
    expect(r.isError).toBe(true);
    const text = textOf(r);
    expect(text).toMatch(/\[BadGraphResponse\].*userDetail usage report could not be read/);
    expect(text).not.toContain('Welcome');
    expect(text).not.toContain(facts.demoUser.upn);
    expect(r.structuredContent).toBeUndefined();
  });
});

describe('a signed-in user without a reports role', () => {
  it('gets Forbidden naming the permission and the roles', async () => {
    const outsider = emulator.descriptor.users.find((u) => !reports.roleHolders.includes(u.upn))!;
    const client = await connectClient('v1-2025', ['--emulator', emulator.file, '--sign-in-wait', '0']);
    try {
      await signInAs(client, emulator, outsider.upn);
      const r = await client.callTool('copilot_usage_report', { report: 'userCountSummary' });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/\[Forbidden\]/);
      expect(textOf(r)).toMatch(/Reports\.Read\.All/);
      expect(textOf(r)).toMatch(/Reports Reader/);
    } finally {
      await client.close();
    }
  });
});
