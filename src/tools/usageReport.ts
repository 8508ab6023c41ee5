import * as z from 'zod';
import { COUNT_APPS, DETAIL_DATE_COLUMNS, REPORT_PERIODS, REPORT_VERSIONS, type ReportVersion } from '../graph/copilot/reportColumns.js';
import { fetchUsageReport, REPORTS_SCOPE, type ReportRow } from '../graph/copilot/reports.js';
import { defineTool } from './tool.js';

/** More users than this are summarised, not listed: the most recently active come first. */
const MAX_USERS = 500;

const ALL_COUNT_APPS = COUNT_APPS.v2;
const ALL_DETAIL_APPS = Object.keys(DETAIL_DATE_COLUMNS.v2);
const APP_NAMES: Record<string, string> = {
  anyApp: 'any app',
  copilotChat: 'Copilot Chat',
  microsoftTeams: 'Teams',
  word: 'Word',
  excel: 'Excel',
  powerPoint: 'PowerPoint',
  outlook: 'Outlook',
  oneNote: 'OneNote',
  loop: 'Loop',
  edge: 'Edge',
  microsoft365Copilot: 'Microsoft 365 Copilot',
  copilotChatWork: 'Copilot Chat (work)',
  copilotChatWeb: 'Copilot Chat (web)',
  copilotAgent: 'Copilot agents',
};
const ALL_PERIODS = ['D7', 'D28', 'D30', 'D90', 'D180'] as const;

const input = z
  .object({
    report: z
      .enum(['userDetail', 'userCountSummary', 'userCountTrend'])
      .describe('userCountSummary: enabled and active users per app over the period; userCountTrend: the same per day; userDetail: each licensed user with their last activity date per app.'),
    version: z.enum(REPORT_VERSIONS).default('v1').describe('Report version: v1 (default) or v2 (adds Edge, Microsoft 365 Copilot, Copilot Chat work/web and prompt counts; 28 days instead of 30).'),
    period: z.enum(ALL_PERIODS).optional().describe('How many days back the report covers, ending on the report refresh date: D7, D30 (v1) or D28 (v2), D90, D180. Default D30 (v1) or D28 (v2).'),
  })
  .superRefine((args, ctx) => {
    if (args.period && !REPORT_PERIODS[args.version].includes(args.period))
      ctx.addIssue({ code: 'custom', path: ['period'], message: `version ${args.version} reports ${REPORT_PERIODS[args.version].join(', ')} (${args.version === 'v2' ? 'D28, not D30' : 'D30, not D28'})` });
  });

const appCounts = z.object({ enabledUsers: z.number().int(), activeUsers: z.number().int() });
const byApp = z
  .object(Object.fromEntries(ALL_COUNT_APPS.map((a) => [a, appCounts.optional()])) as Record<string, z.ZodOptional<typeof appCounts>>)
  .describe('Per app: users enabled for Copilot in it (Copilot-licensed) and users active in it. anyApp counts a user active in any Copilot app. edge, microsoft365Copilot, copilotChatWork and copilotChatWeb: version v2 only.');
const lastActivity = z
  .object(Object.fromEntries(ALL_DETAIL_APPS.map((a) => [a, z.string().optional()])) as Record<string, z.ZodOptional<z.ZodString>>)
  .describe('Last activity date (yyyy-mm-dd) per app within the period; absent: no activity there. copilotChatWork, copilotChatWeb, microsoft365Copilot, edge and copilotAgent: version v2 only.');

const output = z.object({
  report: z.enum(['userDetail', 'userCountSummary', 'userCountTrend']),
  version: z.enum(REPORT_VERSIONS),
  period: z.enum(ALL_PERIODS),
  reportRefreshDate: z.string().optional().describe('The last day the report covers (yyyy-mm-dd); reports lag behind by a day or more.'),
  summary: z
    .object({ reportPeriodDays: z.number().int(), byApp, totalPromptsSubmitted: z.number().int().optional(), averagePromptsSubmitted: z.number().optional() })
    .optional()
    .describe('userCountSummary only (prompt figures: v2).'),
  trend: z.array(z.object({ reportDate: z.string(), byApp, promptsSubmitted: z.number().int().optional() })).optional().describe('userCountTrend only: one row per day, oldest first (promptsSubmitted: v2).'),
  users: z
    .array(
      z.object({
        userPrincipalName: z.string(),
        displayName: z.string(),
        lastActivityDate: z.string().optional(),
        lastActivityByApp: lastActivity,
        promptsSubmitted: z.object({ allApps: z.number().int().optional(), copilotChatWork: z.number().int().optional(), copilotChatWeb: z.number().int().optional() }).optional().describe('v2 only.'),
        activeUsageDays: z.number().int().optional().describe('v2 only: days with activity in any app.'),
      }),
    )
    .optional()
    .describe(`userDetail only: most recently active first, at most ${MAX_USERS}.`),
  totalUsers: z.number().int().optional().describe('userDetail only: licensed users in the report.'),
  activeUsers: z.number().int().optional().describe('userDetail only: users with any activity in the period.'),
  truncated: z.boolean().describe(`userDetail only: true when more than ${MAX_USERS} users exist and the list was cut.`),
  identitiesConcealed: z.boolean().describe('true when the tenant conceals user, group and site names in reports: names are then opaque hashes.'),
});
type Out = z.output<typeof output>;
type ByApp = NonNullable<Out['summary']>['byApp'];
type OutUser = NonNullable<Out['users']>[number];

export const usageReportTool = defineTool({
  name: 'copilot_usage_report',
  title: 'Microsoft 365 Copilot usage report (admin)',
  description: [
    'Microsoft 365 Copilot adoption in the organisation, from the Microsoft 365 usage reports: how many Copilot-licensed users are enabled and active per app',
    '(Teams, Word, Excel, PowerPoint, Outlook, OneNote, Loop, Copilot Chat, any app) over the last 7, 30, 90 or 180 days (userCountSummary), the same per day (userCountTrend),',
    'or each licensed user with their last activity date per app (userDetail).',
    'version v2 adds Edge, Microsoft 365 Copilot, Copilot Chat (work/web) and prompt counts, and reports 28 days instead of 30.',
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
  audited: { report: 'value', version: 'value', period: 'value' },
  examples: { report: 'userCountSummary', version: 'v1', period: 'D30' },
  async handle(args, ctx) {
    const { report, version } = args;
    const period = args.period ?? (version === 'v2' ? 'D28' : 'D30');
    const { rows } = await fetchUsageReport(ctx.graph, { report, period, version }, ctx.signal);
    const refresh = rows.map((r) => r['reportRefreshDate']).find((d): d is string => typeof d === 'string');
    const base = { report, version, period, ...(refresh ? { reportRefreshDate: refresh } : {}), truncated: false, identitiesConcealed: false };

    if (report === 'userCountSummary') {
      const days = Number(period.slice(1));
      const row = rows.find((r) => r['reportPeriod'] === days) ?? rows[0];
      return done({
        ...base,
        ...(row
          ? {
              summary: {
                reportPeriodDays: row['reportPeriod'] as number,
                byApp: countsOf(row, version),
                ...numberOf(row, 'totalPromptsSubmitted'),
                ...numberOf(row, 'averagePromptsSubmitted'),
              },
            }
          : {}),
      });
    }
    if (report === 'userCountTrend') {
      const trend = rows
        .map((r) => ({ reportDate: r['reportDate'] as string, byApp: countsOf(r, version), ...(typeof r['promptsSubmitted'] === 'number' ? { promptsSubmitted: r['promptsSubmitted'] } : {}) }))
        .sort((a, b) => a.reportDate.localeCompare(b.reportDate));
      return done({ ...base, trend });
    }
    const all = rows.map((r) => userOf(r, version));
    all.sort((a, b) => (b.lastActivityDate ?? '').localeCompare(a.lastActivityDate ?? '') || a.userPrincipalName.localeCompare(b.userPrincipalName));
    return done({
      ...base,
      users: all.slice(0, MAX_USERS),
      totalUsers: all.length,
      activeUsers: all.filter((u) => u.lastActivityDate).length,
      truncated: all.length > MAX_USERS,
      // Concealed reports replace names with 32-hex-digit hashes, and a UPN then has no '@'.
      identitiesConcealed: all.some((u) => !u.userPrincipalName.includes('@') && /^[0-9a-f]{32}$/i.test(u.userPrincipalName)),
    });
  },
});

function numberOf(row: ReportRow, key: string): Record<string, number> {
  return typeof row[key] === 'number' ? { [key]: row[key] } : {};
}

function userOf(r: ReportRow, version: ReportVersion): OutUser {
  const lastActivityByApp: Record<string, string> = {};
  for (const [app, column] of Object.entries(DETAIL_DATE_COLUMNS[version])) if (typeof r[column] === 'string') lastActivityByApp[app] = r[column];
  const n = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : undefined);
  const prompts = { allApps: n('promptsSubmittedForAllApps'), copilotChatWork: n('promptsSubmittedForCopilotChatWork'), copilotChatWeb: n('promptsSubmittedForCopilotChatWeb') };
  const promptsSubmitted = Object.fromEntries(Object.entries(prompts).filter(([, v]) => v !== undefined));
  const activeUsageDays = n('activeUsageDaysForAllApps');
  return {
    userPrincipalName: r['userPrincipalName'] as string,
    displayName: typeof r['displayName'] === 'string' ? r['displayName'] : '',
    ...(typeof r['lastActivityDate'] === 'string' ? { lastActivityDate: r['lastActivityDate'] } : {}),
    lastActivityByApp,
    ...(Object.keys(promptsSubmitted).length ? { promptsSubmitted } : {}),
    ...(activeUsageDays !== undefined ? { activeUsageDays } : {}),
  };
}

function countsOf(row: ReportRow, version: ReportVersion): ByApp {
  const out: Record<string, { enabledUsers: number; activeUsers: number }> = {};
  for (const app of COUNT_APPS[version]) {
    const enabled = row[`${app}EnabledUsers`];
    const active = row[`${app}ActiveUsers`];
    if (typeof enabled === 'number' && typeof active === 'number') out[app] = { enabledUsers: enabled, activeUsers: active };
  }
  return out as ByApp;
}

function done(structured: Out) {
  return { structured, text: renderText(structured) };
}

const pct = (active: number, enabled: number) => (enabled > 0 ? ` (${Math.round((100 * active) / enabled)}%)` : '');

function renderText(out: Out): string {
  const head = `Copilot usage, ${out.report} (${out.version}), last ${out.period.slice(1)} days${out.reportRefreshDate ? ` up to ${out.reportRefreshDate}` : ''}:`;
  if (out.report === 'userCountSummary') {
    if (!out.summary) return `${head} Graph returned no rows.`;
    const apps = ALL_COUNT_APPS.filter((a) => out.summary!.byApp[a]).map((a) => {
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
