import type { EmuUser, GraphRequest, Tenant } from '../model.js';
import { APP_CLASS_PREFIX } from '../data/interactionTemplates.js';
import { hasAnyRole, hasAnyScope } from './callerPermissions.js';
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
 * …usercountsummary, …usercounttrend). v1.0 answers CSV (application/octet-stream) unless
 * `$format=application/json`; beta answers JSON. The older beta reportRoot path
 * (/beta/reports/getMicrosoft365Copilot…) is kept as an alias, as the Graph docs still list it.
 *
 * Modelled simply: only Copilot-licensed users are counted (as documented); every licensed user is
 * "enabled" in every app; a user is "active" in an app on a day when they sent at least one prompt
 * there (userPrompt interactions of the generated history). The report is refreshed up to the day
 * before the tenant's `now` (reports lag behind), and a period Dn covers the n days ending on it.
 * Report `version='v2'` (D28, prompt counts) is not emulated: it answers 400.
 */

export const USAGE_REPORT_ROUTE = 'GET /copilot/reports/{function}';
export const REPORTS_PERMISSION = 'Reports.Read.All';
export const REPORT_PERIODS = ['D7', 'D30', 'D90', 'D180'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];

/**
 * Delegated callers also need an Entra role that may read usage reports (Reports Reader, Global
 * Reader, Usage Summary Reports Reader, AI/Teams/… Administrator). The emulated directory has no
 * role assignments, so: the demo user holds Reports Reader, and anyone whose job title names an
 * administrator holds an administrator role. Everyone else gets 403.
 */
const ADMIN_TITLE = /administrator/i;
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
type ProductKey = (typeof PRODUCTS)[number]['key'];

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

export type ProductCounts = Record<`${ProductKey}EnabledUsers` | `${ProductKey}ActiveUsers`, number>;
export interface SummaryRow extends ProductCounts {
  reportPeriod: number;
}
export interface TrendRow extends ProductCounts {
  reportDate: string;
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
}

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Per licensed user: per product, the set of UTC days (yyyy-mm-dd) with at least one prompt. */
interface Activity {
  refreshDate: string;
  licensed: EmuUser[];
  days: Map<string, Map<ProductKey, Set<string>>>;
}

const activityCache = new WeakMap<Tenant, Activity>();

function activityOf(tenant: Tenant): Activity {
  const cached = activityCache.get(tenant);
  if (cached) return cached;
  const refreshDate = day(Date.parse(tenant.now) - DAY);
  const licensed = tenant.users.filter((u) => u.copilotLicense);
  const days = new Map<string, Map<ProductKey, Set<string>>>();
  for (const user of licensed) {
    const perProduct = new Map<ProductKey, Set<string>>(PRODUCTS.map((p) => [p.key, new Set<string>()]));
    for (const i of tenant.interactions.get(user.id) ?? []) {
      if (i.interactionType !== 'userPrompt') continue;
      const date = i.createdDateTime.slice(0, 10);
      if (date > refreshDate) continue;
      const app = i.appClass.startsWith(APP_CLASS_PREFIX) ? i.appClass.slice(APP_CLASS_PREFIX.length) : i.appClass;
      for (const p of PRODUCTS) if ((p.apps as readonly string[]).includes('*') || (p.apps as readonly string[]).includes(app)) perProduct.get(p.key)!.add(date);
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

function counts(a: Activity, from: string, to: string): ProductCounts {
  const out = {} as ProductCounts;
  for (const p of PRODUCTS) {
    out[`${p.key}EnabledUsers`] = a.licensed.length;
    const active = (dates: Set<string>) => (from === to ? dates.has(from) : [...dates].some((d) => d >= from && d <= to));
    out[`${p.key}ActiveUsers`] = a.licensed.filter((u) => active(a.days.get(u.id)!.get(p.key)!)).length;
  }
  return out;
}

function latest(dates: Set<string>, from: string): string {
  let best = '';
  for (const d of dates) if (d >= from && d > best) best = d;
  return best;
}

export function userCountSummary(tenant: Tenant, periods: readonly ReportPeriod[]): { reportRefreshDate: string; adoptionByProduct: SummaryRow[] } {
  const a = activityOf(tenant);
  return {
    reportRefreshDate: a.refreshDate,
    adoptionByProduct: periods.map((p) => ({ reportPeriod: periodDays(p), ...counts(a, periodStart(a, periodDays(p)), a.refreshDate) })),
  };
}

/** Newest day first, as the service lists it. */
export function userCountTrend(tenant: Tenant, period: ReportPeriod): { reportRefreshDate: string; reportPeriod: number; adoptionByDate: TrendRow[] } {
  const a = activityOf(tenant);
  const n = periodDays(period);
  const end = Date.parse(`${a.refreshDate}T00:00:00Z`);
  const adoptionByDate: TrendRow[] = [];
  for (let k = 0; k < n; k++) {
    const date = day(end - k * DAY);
    adoptionByDate.push({ reportDate: date, ...counts(a, date, date) });
  }
  return { reportRefreshDate: a.refreshDate, reportPeriod: n, adoptionByDate };
}

export function usageUserDetail(tenant: Tenant, period: ReportPeriod, byPeriod: readonly ReportPeriod[] = [period]): UserDetailRow[] {
  const a = activityOf(tenant);
  const from = periodStart(a, periodDays(period));
  return a.licensed.map((u) => {
    const perProduct = a.days.get(u.id)!;
    const last = (key: ProductKey) => latest(perProduct.get(key)!, from);
    return {
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
  });
}

/** What tests may compare the reports with (`GET /_emulator/facts` → usageReports). */
export function usageReportFacts(tenant: Tenant) {
  const a = activityOf(tenant);
  return {
    reportRefreshDate: a.refreshDate,
    licensedUsers: a.licensed.length,
    roleHolders: reportsRoleHolders(tenant).map((u) => u.upn),
    byPeriod: Object.fromEntries(
      REPORT_PERIODS.map((p) => [p, { summary: userCountSummary(tenant, [p]).adoptionByProduct[0]!, trend: userCountTrend(tenant, p).adoptionByDate, userDetail: usageUserDetail(tenant, p) }]),
    ) as Record<ReportPeriod, { summary: SummaryRow; trend: TrendRow[]; userDetail: UserDetailRow[] }>,
  };
}

// ---- CSV (v1.0 default form), with the documented header rows ----

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const csv = (rows: (string | number)[][]) => `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
const countHeaders = PRODUCTS.flatMap((p) => [`${p.label} Enabled Users`, `${p.label} Active Users`]);
const countCells = (c: ProductCounts) => PRODUCTS.flatMap((p) => [c[`${p.key}EnabledUsers`], c[`${p.key}ActiveUsers`]]);

function summaryCsv(s: ReturnType<typeof userCountSummary>): string {
  return csv([['Report Refresh Date', 'Report Period', ...countHeaders], ...s.adoptionByProduct.map((r) => [s.reportRefreshDate, r.reportPeriod, ...countCells(r)])]);
}
function trendCsv(t: ReturnType<typeof userCountTrend>): string {
  return csv([['Report Refresh Date', 'Report Date', ...countHeaders, 'Report Period'], ...t.adoptionByDate.map((r) => [t.reportRefreshDate, r.reportDate, ...countCells(r), t.reportPeriod])]);
}
function detailCsv(rows: UserDetailRow[]): string {
  const header = ['Report Refresh Date', 'User Principal Name', 'Display Name', 'Last Activity Date', ...DETAIL_APPS.map((a) => `${a.label} Last Activity Date`), 'Report Period'];
  return csv([
    header,
    ...rows.map((r) => [
      r.reportRefreshDate,
      r.userPrincipalName,
      r.displayName,
      r.lastActivityDate,
      ...DETAIL_APPS.map((a) => (a.key === 'copilotChat' ? r.copilotChatLastActivityDate : (r[`${a.key}CopilotLastActivityDate` as keyof UserDetailRow] as string))),
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
  const version = parsed.args.get('version') ?? 'v1';
  if (version !== 'v1') {
    return reply.error(400, 'BadRequest', version === 'v2' ? "Report version 'v2' is not available in this emulator; use version 'v1' (the default)." : `Invalid value '${version}' for parameter 'version'. Supported values: v1, v2.`);
  }
  const periodText = parsed.args.get('period');
  if (periodText === undefined) return reply.error(400, 'BadRequest', `The function parameter 'period' is required: ${parsed.name}(period='D7'). Supported values: D7, D30, D90, D180, ALL.`);
  const upper = periodText.toUpperCase();
  if (upper !== 'ALL' && !(REPORT_PERIODS as readonly string[]).includes(upper)) {
    return reply.error(400, 'BadRequest', `Invalid value '${periodText}' for parameter 'period'. Supported values: D7, D30, D90, D180, ALL.`);
  }
  // ALL reports every period where the shape allows several (summary rows, user detail's byPeriod); the trend covers the longest.
  const periods: ReportPeriod[] = upper === 'ALL' ? [...REPORT_PERIODS] : [upper as ReportPeriod];
  const longest = periods[periods.length - 1]!;

  const format = req.query.get('$format');
  const json = req.version === 'beta' || (format !== null && /^(application\/)?json$/i.test(format.trim()));
  if (format !== null && !json && !/^text\/csv$|^application\/octet-stream$/i.test(format.trim())) {
    return reply.error(400, 'BadRequest', `Unsupported $format '${format}'. Use $format=application/json, or leave it out for CSV.`);
  }

  if (kind === 'userCountSummary') {
    const s = userCountSummary(ctx.tenant, periods);
    return json ? reply.ok({ value: [s] }) : csvReply(req, ctx, summaryCsv(s));
  }
  if (kind === 'userCountTrend') {
    const t = userCountTrend(ctx.tenant, longest);
    return json ? reply.ok({ value: [t] }) : csvReply(req, ctx, trendCsv(t));
  }
  const rows = usageUserDetail(ctx.tenant, longest, periods);
  return json ? reply.ok({ value: rows }) : csvReply(req, ctx, detailCsv(rows));
}

function csvReply(req: GraphRequest, ctx: RouteContext, text: string) {
  // A string body goes out as is, with this content type (see graphGateway's write).
  return replyFor(req, ctx.clock, USAGE_REPORT_ROUTE).ok(text, { 'Content-Type': 'application/octet-stream' });
}
