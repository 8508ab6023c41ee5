import type { EmuUser, GraphRequest, Tenant } from '../model.js';
import { APP_CLASS_PREFIX } from '../data/interactionTemplates.js';
import { ADMIN_TITLE, hasAnyRole, hasAnyScope } from './callerPermissions.js';
import type { RouteContext, RouteHandler, RouteParams } from './routeContext.js';
import { replyFor } from './graphErrorReplies.js';

/*
 * Microsoft 365 Copilot usage reports (GA in v1.0, also in beta):
 *   GET /{v1.0|beta}/copilot/reports/getMicrosoft365CopilotUsageUserDetail(period='D7')
 *   GET /{v1.0|beta}/copilot/reports/getMicrosoft365CopilotUserCountSummary(period='D7')
 *   GET /{v1.0|beta}/copilot/reports/getMicrosoft365CopilotUserCountTrend(period='D7')
 * Sources: MicrosoftDocs/m365copilot-docs docs/api/admin-settings/reports/copilotreportroot-*.md
 * (HEAD 90efae84, 2026-08-21); learn.microsoft.com/microsoft-365/copilot/extensibility/api/
 * admin-settings/reports/copilotreportroot-getmicrosoft365copilotusageuserdetail (and
 * …usercountsummary, …usercounttrend). v1.0 answers a CSV stream (application/octet-stream)
 * whatever `$format` says: the UserCountSummary page sends `$format=application/json` and shows
 * the CSV answer ("Response", graph-v1 zone); the v1.0 CSDL (msgraph-metadata@f54f11b6
 * schemas/v1.0-Prod.csdl) declares the functions as returning Edm.Stream. beta answers JSON. The
 * docs say nothing of other `$format` values: they are ignored (the lenient side). The older beta
 * reportRoot path (/beta/reports/getMicrosoft365Copilot…) is kept as an alias, as the Graph docs
 * still list it.
 *
 * Modelled simply: only Copilot-licensed users are counted (as documented); every licensed user is
 * "enabled" in every app; a user is "active" in an app on a day when they sent at least one prompt
 * there (userPrompt interactions of the generated history). The report is refreshed up to the day
 * before the tenant's `now` (reports lag behind), and a period Dn covers the n days ending on it.
 *
 * `version` (docs commit 4ba2c0b1, "Report versions"): v1 (default) and v2. v2 reports D28 instead
 * of D30 and adds columns the docs name in words only; their CSV headers here are those words and
 * their JSON names the words in camelCase (the rule every documented v1 column follows). Modelled:
 * Copilot Chat (work) is BizChat, (web) WebChat, the Microsoft 365 Copilot app BizChat and
 * CoworkChat; Edge and agents have no interactions in the emulated history (always inactive);
 * prompts are userPrompt interactions; "Average prompts submitted" (the docs do not define it) is
 * the prompts per active user, to two decimals.
 */

export const USAGE_REPORT_ROUTE = 'GET /copilot/reports/{function}';
export const REPORTS_PERMISSION = 'Reports.Read.All';
export const REPORT_PERIODS = ['D7', 'D30', 'D90', 'D180'] as const;
export const REPORT_PERIODS_V2 = ['D7', 'D28', 'D90', 'D180'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number] | (typeof REPORT_PERIODS_V2)[number];
export type ReportVersion = 'v1' | 'v2';
const PERIODS_OF: Record<ReportVersion, readonly ReportPeriod[]> = { v1: REPORT_PERIODS, v2: REPORT_PERIODS_V2 };

/**
 * Delegated callers also need an Entra role that may read usage reports (Reports Reader, Global
 * Reader, Usage Summary Reports Reader, AI/Teams/… Administrator). The emulated directory has no
 * role assignments, so: the demo user holds Reports Reader, and anyone whose job title names an
 * administrator holds an administrator role. Everyone else gets 403.
 */
export function reportsRoleHolders(tenant: Tenant): EmuUser[] {
  return tenant.users.filter((u) => u.upn === tenant.demoUserUpn || ADMIN_TITLE.test(u.jobTitle));
}

export const REPORT_FUNCTIONS = {
  getmicrosoft365copilotusageuserdetail: 'userDetail',
  getmicrosoft365copilotusercountsummary: 'userCountSummary',
  getmicrosoft365copilotusercounttrend: 'userCountTrend',
} as const;
type ReportKind = (typeof REPORT_FUNCTIONS)[keyof typeof REPORT_FUNCTIONS];

/** Report products, in the order of the documented CSV columns, with the app classes that count for each. */
const PRODUCTS = [
  { key: 'microsoftTeams', label: 'Microsoft Teams', apps: ['Teams'] },
  { key: 'word', label: 'Word', apps: ['Word'] },
  { key: 'powerPoint', label: 'PowerPoint', apps: ['PowerPoint'] },
  { key: 'outlook', label: 'Outlook', apps: ['Outlook'] },
  { key: 'excel', label: 'Excel', apps: ['Excel'] },
  { key: 'oneNote', label: 'OneNote', apps: ['OneNote'] },
  { key: 'loop', label: 'Loop', apps: ['Loop'] },
  // Any App: every Copilot surface, including ones without their own column (e.g. CoworkChat).
  { key: 'anyApp', label: 'Any App', apps: ['*'] },
  { key: 'copilotChat', label: 'Copilot Chat', apps: ['BizChat', 'WebChat'] },
] as const;
/** What version v2 adds, after v1's columns. */
const PRODUCTS_V2 = [
  { key: 'edge', label: 'Edge', apps: ['Edge'] },
  { key: 'microsoft365Copilot', label: 'Microsoft 365 Copilot', apps: ['BizChat', 'CoworkChat'] },
  { key: 'copilotChatWork', label: 'Copilot Chat (work)', apps: ['BizChat'] },
  { key: 'copilotChatWeb', label: 'Copilot Chat (web)', apps: ['WebChat'] },
] as const;
type ProductKey = (typeof PRODUCTS)[number]['key'] | (typeof PRODUCTS_V2)[number]['key'];
const productsOf = (version: ReportVersion) => (version === 'v2' ? [...PRODUCTS, ...PRODUCTS_V2] : PRODUCTS);
const ALL_PRODUCTS = [...PRODUCTS, ...PRODUCTS_V2];

/** The per-app last-activity columns of the user detail report, in documented order. */
const DETAIL_APPS = [
  { key: 'copilotChat', label: 'Copilot Chat' },
  { key: 'microsoftTeams', label: 'Microsoft Teams Copilot' },
  { key: 'word', label: 'Word Copilot' },
  { key: 'excel', label: 'Excel Copilot' },
  { key: 'powerPoint', label: 'PowerPoint Copilot' },
  { key: 'outlook', label: 'Outlook Copilot' },
  { key: 'oneNote', label: 'OneNote Copilot' },
  { key: 'loop', label: 'Loop Copilot' },
] as const;
/** v2's extra last-activity columns (the docs' words), app → column. */
const DETAIL_APPS_V2 = [
  { key: 'copilotChatWork', label: 'Copilot Chat (work)', column: 'copilotChatWorkLastActivityDate' },
  { key: 'copilotChatWeb', label: 'Copilot Chat (web)', column: 'copilotChatWebLastActivityDate' },
  { key: 'microsoft365Copilot', label: 'Microsoft 365 Copilot', column: 'microsoft365CopilotLastActivityDate' },
  { key: 'edge', label: 'Edge', column: 'edgeLastActivityDate' },
  { key: 'copilotAgent', label: 'Copilot Agent', column: 'copilotAgentLastActivityDate' },
] as const;

export type ProductCounts = Partial<Record<`${ProductKey}EnabledUsers` | `${ProductKey}ActiveUsers`, number>>;
export interface SummaryRow extends ProductCounts {
  reportPeriod: number;
  totalPromptsSubmitted?: number;
  averagePromptsSubmitted?: number;
}
export interface TrendRow extends ProductCounts {
  reportDate: string;
  promptsSubmitted?: number;
}
export interface UserDetailRow {
  reportRefreshDate: string;
  userPrincipalName: string;
  displayName: string;
  lastActivityDate: string;
  copilotChatLastActivityDate: string;
  microsoftTeamsCopilotLastActivityDate: string;
  wordCopilotLastActivityDate: string;
  excelCopilotLastActivityDate: string;
  powerPointCopilotLastActivityDate: string;
  outlookCopilotLastActivityDate: string;
  oneNoteCopilotLastActivityDate: string;
  loopCopilotLastActivityDate: string;
  copilotActivityUserDetailsByPeriod: { reportPeriod: number }[];
  // v2 only
  promptsSubmittedForAllApps?: number;
  promptsSubmittedForCopilotChatWork?: number;
  promptsSubmittedForCopilotChatWeb?: number;
  activeUsageDaysForAllApps?: number;
  copilotChatWorkLastActivityDate?: string;
  copilotChatWebLastActivityDate?: string;
  microsoft365CopilotLastActivityDate?: string;
  edgeLastActivityDate?: string;
  copilotAgentLastActivityDate?: string;
}

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Per licensed user: per product, the UTC days (yyyy-mm-dd) with at least one prompt, and how many. */
interface Activity {
  refreshDate: string;
  licensed: EmuUser[];
  days: Map<string, Map<ProductKey, Map<string, number>>>;
}

const activityCache = new WeakMap<Tenant, Activity>();

function activityOf(tenant: Tenant): Activity {
  const cached = activityCache.get(tenant);
  if (cached) return cached;
  const refreshDate = day(Date.parse(tenant.now) - DAY);
  const licensed = tenant.users.filter((u) => u.copilotLicense);
  const days = new Map<string, Map<ProductKey, Map<string, number>>>();
  for (const user of licensed) {
    const perProduct = new Map<ProductKey, Map<string, number>>(ALL_PRODUCTS.map((p) => [p.key, new Map<string, number>()]));
    for (const i of tenant.interactions.get(user.id) ?? []) {
      if (i.interactionType !== 'userPrompt') continue;
      const date = i.createdDateTime.slice(0, 10);
      if (date > refreshDate) continue;
      const app = i.appClass.startsWith(APP_CLASS_PREFIX) ? i.appClass.slice(APP_CLASS_PREFIX.length) : i.appClass;
      for (const p of ALL_PRODUCTS) {
        if (!(p.apps as readonly string[]).includes('*') && !(p.apps as readonly string[]).includes(app)) continue;
        const prompts = perProduct.get(p.key)!;
        prompts.set(date, (prompts.get(date) ?? 0) + 1);
      }
    }
    days.set(user.id, perProduct);
  }
  const activity = { refreshDate, licensed, days };
  activityCache.set(tenant, activity);
  return activity;
}

function periodDays(period: ReportPeriod): number {
  return Number(period.slice(1));
}

/** The first day of a period ending on the refresh date (inclusive). */
function periodStart(a: Activity, days: number): string {
  return day(Date.parse(`${a.refreshDate}T00:00:00Z`) - (days - 1) * DAY);
}

const inRange = (d: string, from: string, to: string) => d >= from && d <= to;

function counts(a: Activity, from: string, to: string, version: ReportVersion): ProductCounts {
  const out: ProductCounts = {};
  for (const p of productsOf(version)) {
    out[`${p.key}EnabledUsers`] = a.licensed.length;
    out[`${p.key}ActiveUsers`] = a.licensed.filter((u) => [...a.days.get(u.id)!.get(p.key)!.keys()].some((d) => inRange(d, from, to))).length;
  }
  return out;
}

/** Prompts of one user in one product within [from, to]. */
function prompts(a: Activity, userId: string, key: ProductKey, from: string, to: string): number {
  let n = 0;
  for (const [d, c] of a.days.get(userId)!.get(key)!) if (inRange(d, from, to)) n += c;
  return n;
}

function promptFigures(a: Activity, from: string, to: string): { total: number; active: number } {
  let total = 0;
  let active = 0;
  for (const u of a.licensed) {
    const n = prompts(a, u.id, 'anyApp', from, to);
    total += n;
    if (n > 0) active++;
  }
  return { total, active };
}

function latest(dates: Map<string, number>, from: string): string {
  let best = '';
  for (const d of dates.keys()) if (d >= from && d > best) best = d;
  return best;
}

export function userCountSummary(tenant: Tenant, periods: readonly ReportPeriod[], version: ReportVersion = 'v1'): { reportRefreshDate: string; adoptionByProduct: SummaryRow[] } {
  const a = activityOf(tenant);
  return {
    reportRefreshDate: a.refreshDate,
    adoptionByProduct: periods.map((p) => {
      const from = periodStart(a, periodDays(p));
      const row: SummaryRow = { reportPeriod: periodDays(p), ...counts(a, from, a.refreshDate, version) };
      if (version === 'v2') {
        const { total, active } = promptFigures(a, from, a.refreshDate);
        row.totalPromptsSubmitted = total;
        row.averagePromptsSubmitted = active ? Math.round((100 * total) / active) / 100 : 0;
      }
      return row;
    }),
  };
}

/** Newest day first, as the service lists it. */
export function userCountTrend(tenant: Tenant, period: ReportPeriod, version: ReportVersion = 'v1'): { reportRefreshDate: string; reportPeriod: number; adoptionByDate: TrendRow[] } {
  const a = activityOf(tenant);
  const n = periodDays(period);
  const end = Date.parse(`${a.refreshDate}T00:00:00Z`);
  const adoptionByDate: TrendRow[] = [];
  for (let k = 0; k < n; k++) {
    const date = day(end - k * DAY);
    adoptionByDate.push({ reportDate: date, ...counts(a, date, date, version), ...(version === 'v2' ? { promptsSubmitted: promptFigures(a, date, date).total } : {}) });
  }
  return { reportRefreshDate: a.refreshDate, reportPeriod: n, adoptionByDate };
}

export function usageUserDetail(tenant: Tenant, period: ReportPeriod, byPeriod: readonly ReportPeriod[] = [period], version: ReportVersion = 'v1'): UserDetailRow[] {
  const a = activityOf(tenant);
  const from = periodStart(a, periodDays(period));
  return a.licensed.map((u) => {
    const perProduct = a.days.get(u.id)!;
    const last = (key: ProductKey) => latest(perProduct.get(key)!, from);
    const row: UserDetailRow = {
      reportRefreshDate: a.refreshDate,
      userPrincipalName: u.upn,
      displayName: u.displayName,
      lastActivityDate: last('anyApp'),
      copilotChatLastActivityDate: last('copilotChat'),
      microsoftTeamsCopilotLastActivityDate: last('microsoftTeams'),
      wordCopilotLastActivityDate: last('word'),
      excelCopilotLastActivityDate: last('excel'),
      powerPointCopilotLastActivityDate: last('powerPoint'),
      outlookCopilotLastActivityDate: last('outlook'),
      oneNoteCopilotLastActivityDate: last('oneNote'),
      loopCopilotLastActivityDate: last('loop'),
      copilotActivityUserDetailsByPeriod: byPeriod.map((p) => ({ reportPeriod: periodDays(p) })),
    };
    if (version === 'v2') {
      row.promptsSubmittedForAllApps = prompts(a, u.id, 'anyApp', from, a.refreshDate);
      row.promptsSubmittedForCopilotChatWork = prompts(a, u.id, 'copilotChatWork', from, a.refreshDate);
      row.promptsSubmittedForCopilotChatWeb = prompts(a, u.id, 'copilotChatWeb', from, a.refreshDate);
      row.activeUsageDaysForAllApps = [...perProduct.get('anyApp')!.keys()].filter((d) => inRange(d, from, a.refreshDate)).length;
      row.copilotChatWorkLastActivityDate = last('copilotChatWork');
      row.copilotChatWebLastActivityDate = last('copilotChatWeb');
      row.microsoft365CopilotLastActivityDate = last('microsoft365Copilot');
      row.edgeLastActivityDate = last('edge');
      // No agent interactions in the emulated history.
      row.copilotAgentLastActivityDate = '';
    }
    return row;
  });
}

/** What tests may compare the reports with (`GET /_emulator/facts` → usageReports; `v2`: the same for version v2). */
export function usageReportFacts(tenant: Tenant) {
  const a = activityOf(tenant);
  const byPeriodOf = <P extends ReportPeriod>(version: ReportVersion, periods: readonly P[]) =>
    Object.fromEntries(
      periods.map((p) => [p, { summary: userCountSummary(tenant, [p], version).adoptionByProduct[0]!, trend: userCountTrend(tenant, p, version).adoptionByDate, userDetail: usageUserDetail(tenant, p, [p], version) }]),
    ) as Record<P, { summary: SummaryRow; trend: TrendRow[]; userDetail: UserDetailRow[] }>;
  return {
    reportRefreshDate: a.refreshDate,
    licensedUsers: a.licensed.length,
    roleHolders: reportsRoleHolders(tenant).map((u) => u.upn),
    byPeriod: byPeriodOf('v1', REPORT_PERIODS),
    v2: { byPeriod: byPeriodOf('v2', REPORT_PERIODS_V2) },
  };
}

// ---- CSV (v1.0 default form), with the documented header rows ----

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const csv = (rows: (string | number)[][]) => `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
const countHeaders = (version: ReportVersion) => productsOf(version).flatMap((p) => [`${p.label} Enabled Users`, `${p.label} Active Users`]);
const countCells = (c: ProductCounts, version: ReportVersion) => productsOf(version).flatMap((p) => [c[`${p.key}EnabledUsers`] ?? 0, c[`${p.key}ActiveUsers`] ?? 0]);

function summaryCsv(s: ReturnType<typeof userCountSummary>, version: ReportVersion): string {
  const extra = version === 'v2' ? ['Total prompts submitted', 'Average prompts submitted'] : [];
  return csv([
    ['Report Refresh Date', 'Report Period', ...countHeaders(version), ...extra],
    ...s.adoptionByProduct.map((r) => [s.reportRefreshDate, r.reportPeriod, ...countCells(r, version), ...(version === 'v2' ? [r.totalPromptsSubmitted ?? 0, r.averagePromptsSubmitted ?? 0] : [])]),
  ]);
}
function trendCsv(t: ReturnType<typeof userCountTrend>, version: ReportVersion): string {
  const extra = version === 'v2' ? ['Prompts submitted'] : [];
  return csv([
    ['Report Refresh Date', 'Report Date', ...countHeaders(version), 'Report Period', ...extra],
    ...t.adoptionByDate.map((r) => [t.reportRefreshDate, r.reportDate, ...countCells(r, version), t.reportPeriod, ...(version === 'v2' ? [r.promptsSubmitted ?? 0] : [])]),
  ]);
}
function detailCsv(rows: UserDetailRow[], version: ReportVersion): string {
  const v2 = version === 'v2';
  const header = [
    'Report Refresh Date',
    'User Principal Name',
    'Display Name',
    'Last Activity Date',
    ...DETAIL_APPS.map((a) => `${a.label} Last Activity Date`),
    ...(v2 ? ['Prompts submitted for all apps', 'Prompts submitted for Copilot Chat (work)', 'Prompts submitted for Copilot Chat (web)', 'Active Usage Days for all apps', ...DETAIL_APPS_V2.map((a) => `${a.label} Last Activity Date`)] : []),
    'Report Period',
  ];
  return csv([
    header,
    ...rows.map((r) => [
      r.reportRefreshDate,
      r.userPrincipalName,
      r.displayName,
      r.lastActivityDate,
      ...DETAIL_APPS.map((a) => (a.key === 'copilotChat' ? r.copilotChatLastActivityDate : (r[`${a.key}CopilotLastActivityDate` as keyof UserDetailRow] as string))),
      ...(v2
        ? [r.promptsSubmittedForAllApps ?? 0, r.promptsSubmittedForCopilotChatWork ?? 0, r.promptsSubmittedForCopilotChatWeb ?? 0, r.activeUsageDaysForAllApps ?? 0, ...DETAIL_APPS_V2.map((a) => (r[a.column] as string | undefined) ?? '')]
        : []),
      r.copilotActivityUserDetailsByPeriod.map((p) => p.reportPeriod).join(';'),
    ]),
  ]);
}

// ---- Routing ----

/** `name(period='D7', version='v1')` → name and arguments; undefined when not a function call. */
export function parseFunctionSegment(segment: string): { name: string; args: Map<string, string>; malformed?: string } | undefined {
  const m = /^([A-Za-z0-9]+)(?:\((.*)\))?$/s.exec(segment.trim());
  if (!m) return undefined;
  const args = new Map<string, string>();
  const inner = (m[2] ?? '').trim();
  if (inner) {
    for (const part of inner.split(',')) {
      const kv = /^\s*([A-Za-z]+)\s*=\s*(?:'([^']*)'|([^'\s]*))\s*$/.exec(part);
      if (!kv) return { name: m[1]!, args, malformed: part };
      args.set(kv[1]!.toLowerCase(), kv[2] ?? kv[3] ?? '');
    }
  }
  return { name: m[1]!, args };
}

/** Route object for the router: `/copilot/reports/{function}` (v1.0 and beta) and beta's older `/reports/{function}`. */
export const usageReportRoute = {
  method: 'GET',
  template: '/copilot/reports/{function}',
  handle: ((req, params, ctx) => usageReportHandler(req, params, ctx)) as RouteHandler,
  match(segments: readonly string[]): RouteParams | undefined {
    const [a, b, c, ...rest] = segments;
    const fn = segments.length === 3 ? c : segments.length === 2 ? b : undefined;
    if (rest.length || fn === undefined) return undefined;
    const prefixOk = segments.length === 3 ? a?.toLowerCase() === 'copilot' && b?.toLowerCase() === 'reports' : a?.toLowerCase() === 'reports';
    if (!prefixOk) return undefined;
    const parsed = parseFunctionSegment(fn);
    if (!parsed || !(parsed.name.toLowerCase() in REPORT_FUNCTIONS)) return undefined;
    return { function: fn, legacy: segments.length === 2 ? 'true' : 'false' };
  },
};

function usageReportHandler(req: GraphRequest, params: RouteParams, ctx: RouteContext) {
  const reply = replyFor(req, ctx.clock, USAGE_REPORT_ROUTE);
  const parsed = parseFunctionSegment(params['function'] ?? '')!;
  if (params['legacy'] === 'true' && req.version !== 'beta') return reply.error(400, 'BadRequest', `Resource not found for the segment '${parsed.name}'.`);
  const kind: ReportKind = REPORT_FUNCTIONS[parsed.name.toLowerCase() as keyof typeof REPORT_FUNCTIONS];

  const caller = req.caller;
  if (caller.kind === 'delegated') {
    if (!hasAnyScope(caller, [REPORTS_PERMISSION])) return reply.error(403, 'accessDenied', `Access denied: the token lacks the delegated permission ${REPORTS_PERMISSION}.`);
    if (!reportsRoleHolders(ctx.tenant).some((u) => u.id.toLowerCase() === caller.userId.toLowerCase())) {
      return reply.error(
        403,
        'Forbidden',
        'The signed-in user is not allowed to read usage reports. An administrator must assign a role that may read them (Reports Reader, Usage Summary Reports Reader, Global Reader, or an AI, Teams, Exchange or SharePoint Administrator).',
      );
    }
  } else if (!hasAnyRole(caller, [REPORTS_PERMISSION])) {
    return reply.error(403, 'accessDenied', `Access denied: the application needs the ${REPORTS_PERMISSION} application permission (admin consent required).`);
  }

  if (parsed.malformed !== undefined) return reply.error(400, 'BadRequest', `Invalid function parameters in '${params['function']}'. Use ${parsed.name}(period='D7').`);
  const unknown = [...parsed.args.keys()].filter((k) => k !== 'period' && k !== 'version');
  if (unknown.length) return reply.error(400, 'BadRequest', `Unknown function parameter '${unknown[0]}' for ${parsed.name}; supported: period, version.`);
  const versionText = parsed.args.get('version') ?? 'v1';
  if (versionText !== 'v1' && versionText !== 'v2') return reply.error(400, 'BadRequest', `Invalid value '${versionText}' for parameter 'version'. Supported values: v1, v2.`);
  const version: ReportVersion = versionText;
  const supported = [...PERIODS_OF[version], 'ALL'].join(', ');
  const periodText = parsed.args.get('period');
  if (periodText === undefined) return reply.error(400, 'BadRequest', `The function parameter 'period' is required: ${parsed.name}(period='D7'). Supported values: ${supported}.`);
  const upper = periodText.toUpperCase();
  if (upper !== 'ALL' && !(PERIODS_OF[version] as readonly string[]).includes(upper)) {
    return reply.error(400, 'BadRequest', `Invalid value '${periodText}' for parameter 'period' of version ${version}. Supported values: ${supported}.`);
  }
  // ALL reports every period where the shape allows several (summary rows, user detail's byPeriod); the trend covers the longest.
  const periods: ReportPeriod[] = upper === 'ALL' ? [...PERIODS_OF[version]] : [upper as ReportPeriod];
  const longest = periods[periods.length - 1]!;

  // v1.0: CSV whatever $format says (see the header comment); beta: JSON.
  const json = req.version === 'beta';

  if (kind === 'userCountSummary') {
    const s = userCountSummary(ctx.tenant, periods, version);
    return json ? reply.ok({ value: [s] }) : csvReply(req, ctx, summaryCsv(s, version));
  }
  if (kind === 'userCountTrend') {
    const t = userCountTrend(ctx.tenant, longest, version);
    return json ? reply.ok({ value: [t] }) : csvReply(req, ctx, trendCsv(t, version));
  }
  const rows = usageUserDetail(ctx.tenant, longest, periods, version);
  return json ? reply.ok({ value: rows }) : csvReply(req, ctx, detailCsv(rows, version));
}

function csvReply(req: GraphRequest, ctx: RouteContext, text: string) {
  // A string body goes out as is, with this content type (see graphGateway's write).
  return replyFor(req, ctx.clock, USAGE_REPORT_ROUTE).ok(text, { 'Content-Type': 'application/octet-stream' });
}
