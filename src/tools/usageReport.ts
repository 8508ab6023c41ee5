import * as z from 'zod';
import { fetchUsageReport, REPORTS_SCOPE, type UsageReport as Report } from '../graph/copilot/reports.js';
import { defineTool } from './tool.js';

/** More users than this are summarised, not listed: the most recently active come first. */
const MAX_USERS = 500;


/** The per-app columns of the summary and trend reports (version v1). */
const COUNT_APPS = ['anyApp', 'copilotChat', 'microsoftTeams', 'word', 'excel', 'powerPoint', 'outlook', 'oneNote', 'loop'] as const;
/** The per-app last-activity columns of the user detail report, as `${app}CopilotLastActivityDate` (Copilot Chat: copilotChatLastActivityDate). */
const DETAIL_APPS = ['copilotChat', 'microsoftTeams', 'word', 'excel', 'powerPoint', 'outlook', 'oneNote', 'loop'] as const;
const APP_NAMES: Record<(typeof COUNT_APPS)[number], string> = {
  anyApp: 'any app',
  copilotChat: 'Copilot Chat',
  microsoftTeams: 'Teams',
  word: 'Word',
  excel: 'Excel',
  powerPoint: 'PowerPoint',
  outlook: 'Outlook',
  oneNote: 'OneNote',
  loop: 'Loop',
};

const input = z.object({
  report: z
    .enum(['userDetail', 'userCountSummary', 'userCountTrend'])
    .describe('userCountSummary: enabled and active users per app over the period; userCountTrend: the same per day; userDetail: each licensed user with their last activity date per app.'),
  period: z.enum(['D7', 'D30', 'D90', 'D180']).default('D30').describe('How many days back the report covers (7, 30, 90 or 180), ending on the report refresh date.'),
});

const appCounts = z.object({ enabledUsers: z.number().int(), activeUsers: z.number().int() });
const byApp = z
  .object(Object.fromEntries(COUNT_APPS.map((a) => [a, appCounts.optional()])) as Record<(typeof COUNT_APPS)[number], z.ZodOptional<typeof appCounts>>)
  .describe('Per app: users enabled for Copilot in it (Copilot-licensed) and users active in it. anyApp counts a user active in any Copilot app.');
const lastActivity = z
  .object(Object.fromEntries(DETAIL_APPS.map((a) => [a, z.string().optional()])) as Record<(typeof DETAIL_APPS)[number], z.ZodOptional<z.ZodString>>)
  .describe('Last activity date (yyyy-mm-dd) per app within the period; absent: no activity there.');

const output = z.object({
  report: z.enum(['userDetail', 'userCountSummary', 'userCountTrend']),
  period: z.enum(['D7', 'D30', 'D90', 'D180']),
  reportRefreshDate: z.string().optional().describe('The last day the report covers (yyyy-mm-dd); reports lag behind by a day or more.'),
  summary: z.object({ reportPeriodDays: z.number().int(), byApp }).optional().describe('userCountSummary only.'),
  trend: z.array(z.object({ reportDate: z.string(), byApp })).optional().describe('userCountTrend only: one row per day, oldest first.'),
  users: z
    .array(z.object({ userPrincipalName: z.string(), displayName: z.string(), lastActivityDate: z.string().optional(), lastActivityByApp: lastActivity }))
    .optional()
    .describe(`userDetail only: most recently active first, at most ${MAX_USERS}.`),
  totalUsers: z.number().int().optional().describe('userDetail only: licensed users in the report.'),
  activeUsers: z.number().int().optional().describe('userDetail only: users with any activity in the period.'),
  truncated: z.boolean().describe(`userDetail only: true when more than ${MAX_USERS} users exist and the list was cut.`),
  identitiesConcealed: z.boolean().describe('true when the tenant conceals user, group and site names in reports: names are then opaque hashes.'),
});
type Out = z.output<typeof output>;
type ByApp = Out['trend'] extends (infer R)[] | undefined ? (R extends { byApp: infer B } ? B : never) : never;

// ---- Graph's JSON forms (looseObject: version v2 and future columns pass through unread) ----
// The per-app counts are read by countsOf, which keeps only numeric pairs.
const dateOrEmpty = z.string().nullish();
const SummarySchema = z.object({
  value: z.array(z.looseObject({ reportRefreshDate: z.string().optional(), adoptionByProduct: z.array(z.looseObject({ reportPeriod: z.number().int() })) })),
});
const TrendSchema = z.object({
  value: z.array(z.looseObject({ reportRefreshDate: z.string().optional(), reportPeriod: z.number().int().optional(), adoptionByDate: z.array(z.looseObject({ reportDate: z.string() })) })),
});
const DetailSchema = z.object({
  value: z.array(
    z.looseObject({
      reportRefreshDate: z.string().optional(),
      userPrincipalName: z.string(),
      displayName: z.string().nullish(),
      lastActivityDate: dateOrEmpty,
      ...Object.fromEntries(DETAIL_APPS.map((a) => [detailField(a), dateOrEmpty])),
    }),
  ),
});

function detailField(app: (typeof DETAIL_APPS)[number]): string {
  return app === 'copilotChat' ? 'copilotChatLastActivityDate' : `${app}CopilotLastActivityDate`;
}

export const usageReportTool = defineTool({
  name: 'copilot_usage_report',
  title: 'Microsoft 365 Copilot usage report (admin)',
  description: [
    'Microsoft 365 Copilot adoption in the organisation, from the Microsoft 365 usage reports: how many Copilot-licensed users are enabled and active per app',
    '(Teams, Word, Excel, PowerPoint, Outlook, OneNote, Loop, Copilot Chat, any app) over the last 7, 30, 90 or 180 days (userCountSummary), the same per day (userCountTrend),',
    'or each licensed user with their last activity date per app (userDetail).',
    'Only Copilot-licensed users are counted; unlicensed Copilot Chat use is not in these reports. Data lags by a day or more (see reportRefreshDate).',
    'The signed-in user needs a reports role (e.g. Reports Reader or Global Reader). If the tenant conceals user names in reports (a Microsoft 365 admin setting),',
    'user names and UPNs come back as opaque hashes and identitiesConcealed is true.',
  ].join(' '),
  instructions: 'copilot_usage_report answers Copilot adoption questions from the Microsoft 365 usage reports',
  toolset: 'reports',
  stability: 'ga',
  api: { name: 'the Copilot usage reports API', clouds: ['global'] },
  readOnly: true,
  input,
  output,
  permissions: { delegated: [REPORTS_SCOPE], application: [] },
  audited: { report: 'value', period: 'value' },
  examples: { report: 'userCountSummary', period: 'D30' },
  async handle(args, ctx) {
    const report = args.report as Report;
    const period = args.period;
    const request = <T>(schema: z.ZodType<T>) => fetchUsageReport(ctx.graph, report, period, schema, ctx.signal);

    if (report === 'userCountSummary') {
      const data = await request(SummarySchema);
      const first = data.value[0];
      const row = first?.adoptionByProduct.find((r) => r.reportPeriod === Number(period.slice(1))) ?? first?.adoptionByProduct[0];
      return done({
        report,
        period,
        ...(first?.reportRefreshDate ? { reportRefreshDate: first.reportRefreshDate } : {}),
        ...(row ? { summary: { reportPeriodDays: row.reportPeriod, byApp: countsOf(row) } } : {}),
        truncated: false,
        identitiesConcealed: false,
      });
    }
    if (report === 'userCountTrend') {
      const data = await request(TrendSchema);
      const first = data.value[0];
      const trend = (first?.adoptionByDate ?? []).map((r) => ({ reportDate: r.reportDate, byApp: countsOf(r) })).sort((a, b) => a.reportDate.localeCompare(b.reportDate));
      return done({ report, period, ...(first?.reportRefreshDate ? { reportRefreshDate: first.reportRefreshDate } : {}), trend, truncated: false, identitiesConcealed: false });
    }
    const data = await request(DetailSchema);
    const all = data.value.map((r) => {
      const row = r as Record<string, unknown>;
      const lastActivityByApp: Record<string, string> = {};
      for (const app of DETAIL_APPS) {
        const d = row[detailField(app)];
        if (typeof d === 'string' && d) lastActivityByApp[app] = d;
      }
      return {
        userPrincipalName: r.userPrincipalName,
        displayName: r.displayName ?? '',
        ...(r.lastActivityDate ? { lastActivityDate: r.lastActivityDate } : {}),
        lastActivityByApp,
      };
    });
    all.sort((a, b) => (b.lastActivityDate ?? '').localeCompare(a.lastActivityDate ?? '') || a.userPrincipalName.localeCompare(b.userPrincipalName));
    const refresh = data.value.find((r) => r.reportRefreshDate)?.reportRefreshDate;
    return done({
      report,
      period,
      ...(refresh ? { reportRefreshDate: refresh } : {}),
      users: all.slice(0, MAX_USERS),
      totalUsers: all.length,
      activeUsers: all.filter((u) => u.lastActivityDate).length,
      truncated: all.length > MAX_USERS,
      // Concealed reports replace names with 32-hex-digit hashes, and a UPN then has no '@'.
      identitiesConcealed: all.some((u) => !u.userPrincipalName.includes('@') && /^[0-9a-f]{32}$/i.test(u.userPrincipalName)),
    });
  },
});

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function countsOf(row: Record<string, unknown>): ByApp {
  const out: Record<string, { enabledUsers: number; activeUsers: number }> = {};
  for (const app of COUNT_APPS) {
    const enabled = row[`${app}EnabledUsers`];
    const active = row[`${app}ActiveUsers`];
    if (isCount(enabled) && isCount(active)) out[app] = { enabledUsers: enabled, activeUsers: active };
  }
  return out as ByApp;
}

function done(structured: Out) {
  return { structured, text: renderText(structured) };
}

const pct = (active: number, enabled: number) => (enabled > 0 ? ` (${Math.round((100 * active) / enabled)}%)` : '');

function renderText(out: Out): string {
  const head = `Copilot usage, ${out.report}, last ${out.period.slice(1)} days${out.reportRefreshDate ? ` up to ${out.reportRefreshDate}` : ''}:`;
  if (out.report === 'userCountSummary') {
    if (!out.summary) return `${head} Graph returned no rows.`;
    const apps = COUNT_APPS.filter((a) => out.summary!.byApp[a]).map((a) => {
      const c = out.summary!.byApp[a]!;
      return `${APP_NAMES[a]} ${c.activeUsers}/${c.enabledUsers}${pct(c.activeUsers, c.enabledUsers)}`;
    });
    return `${head} active/enabled users: ${apps.join(', ')}.`;
  }
  if (out.report === 'userCountTrend') {
    const days = out.trend ?? [];
    if (!days.length) return `${head} Graph returned no rows.`;
    const any = days.map((d) => d.byApp.anyApp?.activeUsers ?? 0);
    const last = days[days.length - 1]!;
    return `${head} ${days.length} day(s) from ${days[0]!.reportDate} to ${last.reportDate}; daily active users in any app between ${Math.min(...any)} and ${Math.max(...any)}, ${last.byApp.anyApp?.activeUsers ?? 0} on the last day.`;
  }
  const lines = [
    `${head} ${out.activeUsers ?? 0} of ${out.totalUsers ?? 0} licensed user(s) active${out.truncated ? `; listing the ${MAX_USERS} most recently active` : ''}${out.identitiesConcealed ? '; user names are concealed by a tenant setting' : ''}.`,
  ];
  for (const u of (out.users ?? []).slice(0, 10)) lines.push(`- ${u.displayName || u.userPrincipalName}: last active ${u.lastActivityDate ?? 'not in this period'}`);
  if ((out.users?.length ?? 0) > 10) lines.push(`- … ${out.users!.length - 10} more in the structured result`);
  return lines.join('\n');
}
