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
    expect(reports.byPeriod.D7.summary.anyAppActiveUsers).toBeLessThanOrEqual(reports.byPeriod.D30.summary.anyAppActiveUsers);
    expect(reports.byPeriod.D30.summary.anyAppActiveUsers).toBeLessThanOrEqual(s180.anyAppActiveUsers);
    expect(reports.byPeriod.D90.trend).toHaveLength(90);
    expect(reports.roleHolders).toContain(facts.demoUser.upn);
  });

  it('v1.0 answers CSV with the documented header row unless $format=application/json', async () => {
    const res = await graph("/v1.0/copilot/reports/getMicrosoft365CopilotUserCountSummary(period='D7')");
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const [header, row] = (await res.text()).trim().split(/\r?\n/);
    expect(header).toBe(
      'Report Refresh Date,Report Period,Microsoft Teams Enabled Users,Microsoft Teams Active Users,Word Enabled Users,Word Active Users,PowerPoint Enabled Users,PowerPoint Active Users,Outlook Enabled Users,Outlook Active Users,Excel Enabled Users,Excel Active Users,OneNote Enabled Users,OneNote Active Users,Loop Enabled Users,Loop Active Users,Any App Enabled Users,Any App Active Users,Copilot Chat Enabled Users,Copilot Chat Active Users',
    );
    expect(row?.startsWith(`${reports.reportRefreshDate},7,`)).toBe(true);

    const detail = await graph("/v1.0/copilot/reports/getMicrosoft365CopilotUsageUserDetail(period='D30')");
    expect((await detail.text()).split(/\r?\n/)[0]).toBe(
      'Report Refresh Date,User Principal Name,Display Name,Last Activity Date,Copilot Chat Last Activity Date,Microsoft Teams Copilot Last Activity Date,Word Copilot Last Activity Date,Excel Copilot Last Activity Date,PowerPoint Copilot Last Activity Date,Outlook Copilot Last Activity Date,OneNote Copilot Last Activity Date,Loop Copilot Last Activity Date,Report Period',
    );
    const trend = await graph("/v1.0/copilot/reports/getMicrosoft365CopilotUserCountTrend(period='D7')");
    expect((await trend.text()).trim().split(/\r?\n/)).toHaveLength(8);

    const json = await graph("/v1.0/copilot/reports/getMicrosoft365CopilotUserCountSummary(period='D7')?$format=application/json");
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.json()).toEqual({ value: [{ reportRefreshDate: reports.reportRefreshDate, adoptionByProduct: [reports.byPeriod.D7.summary] }] });
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
    expect(s).toMatchObject({ report: 'userCountSummary', period, reportRefreshDate: reports.reportRefreshDate, truncated: false, identitiesConcealed: false });
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

  it('defaults to D30', async () => {
    const s = structured(await demo.callTool('copilot_usage_report', { report: 'userCountSummary' }));
    expect(s.period).toBe('D30');
    expect(s.summary?.reportPeriodDays).toBe(30);
  });

  it('refuses an invalid period or report before any Graph call, naming the argument', async () => {
    await emulator.resetStats();
    for (const [args, name] of [
      [{ report: 'userDetail', period: 'D14' }, /period/],
      [{ report: 'userDetail', period: 'ALL' }, /period/],
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
 * A proxy between the server and Graph. `dropFormat`: it drops `$format`, as some tenants' proxies
 * do, so Graph answers CSV, which the tool must refuse without quoting it. `conceal`: it replaces
 * names as a tenant that conceals user names in reports does (32 hex digits).
 */
describe('through a proxy: CSV answers and concealed names', () => {
  let proxy: Server;
  let dir: string;
  let client: McpTestClient;
  let mode: 'dropFormat' | 'conceal' = 'dropFormat';

  beforeAll(async () => {
    const upstream = new URL(emulator.descriptor.graphBaseUrl);
    const { createHash } = await import('node:crypto');
    const hash = (v: string) => createHash('md5').update(v).digest('hex').toUpperCase();
    proxy = createServer((req, res) => {
      const url = new URL(req.url ?? '/', upstream);
      const isReport = /\/reports\//i.test(url.pathname);
      if (isReport && mode === 'dropFormat') url.searchParams.delete('$format');
      const out = httpRequest(url, { method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer) => {
        if (!(isReport && mode === 'conceal')) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { value: Record<string, string>[] };
          for (const row of body.value) if (row['userPrincipalName']) Object.assign(row, { userPrincipalName: hash(row['userPrincipalName']), displayName: hash(row['displayName'] ?? '') });
          const text = JSON.stringify(body);
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

  it('is refused as BadGraphResponse, with none of the CSV in the answer', async () => {
    const r = await client.callTool('copilot_usage_report', { report: 'userDetail', period: 'D7' });
    expect(r.isError).toBe(true);
    const text = textOf(r);
    expect(text).toMatch(/\[BadGraphResponse\].*application\/octet-stream instead of JSON/);
    expect(text).not.toContain('Report Refresh Date');
    for (const u of emulator.descriptor.users) expect(text).not.toContain(u.upn);
    expect(r.structuredContent).toBeUndefined();
  });

  it('flags concealed user names', async () => {
    mode = 'conceal';
    try {
      const r = await client.callTool('copilot_usage_report', { report: 'userDetail', period: 'D30' });
      expect(r.isError, textOf(r)).toBeFalsy();
      const s = structured(r);
      expect(s.identitiesConcealed).toBe(true);
      expect(s.totalUsers).toBe(reports.licensedUsers);
      for (const u of s.users!) expect(u.userPrincipalName).toMatch(/^[0-9A-F]{32}$/);
      expect(textOf(r)).toContain('concealed');
    } finally {
      mode = 'dropFormat';
    }
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
