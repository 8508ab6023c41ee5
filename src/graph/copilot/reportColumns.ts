/*
 * The columns of the Microsoft 365 Copilot usage reports, per report and version, typed. Source:
 * MicrosoftDocs/m365copilot-docs@90efae84 docs/api/admin-settings/reports/copilotreportroot-*.md
 * ("Report versions": v1's columns, and what v2 adds; the v1.0 CSV header rows and the beta JSON
 * examples). The docs name v2's extra columns in words only (no CSV header row, no JSON example):
 * they are read by the one rule that also matches every documented v1 column in both forms, the
 * name's letters and digits, case-insensitively (`Copilot Chat (work) Enabled Users` is
 * `copilotChatWorkEnabledUsers`).
 */

export const REPORT_VERSIONS = ['v1', 'v2'] as const;
export type ReportVersion = (typeof REPORT_VERSIONS)[number];

/** Periods per version: v2 reports 28 days where v1 reports 30 ("Function parameters"). */
export const REPORT_PERIODS: Readonly<Record<ReportVersion, readonly string[]>> = {
  v1: ['D7', 'D30', 'D90', 'D180'],
  v2: ['D7', 'D28', 'D90', 'D180'],
};

/** count: a whole number ≥ 0; number: any number ≥ 0 (an average); date: yyyy-mm-dd or empty; periods: the report period(s) in days. */
export type ColumnKind = 'count' | 'number' | 'date' | 'text' | 'periods';
export interface Column {
  /** The JSON property name (beta), and what the row is keyed by. */
  key: string;
  kind: ColumnKind;
  /** A row without it is not a report row. */
  required?: boolean;
}

/** The products with enabled/active user counts (summary and trend). */
export const COUNT_APPS: Readonly<Record<ReportVersion, readonly string[]>> = {
  v1: ['anyApp', 'copilotChat', 'microsoftTeams', 'word', 'excel', 'powerPoint', 'outlook', 'oneNote', 'loop'],
  v2: ['anyApp', 'copilotChat', 'microsoftTeams', 'word', 'excel', 'powerPoint', 'outlook', 'oneNote', 'loop', 'edge', 'microsoft365Copilot', 'copilotChatWork', 'copilotChatWeb'],
};

/** v1's per-app last-activity date columns of the user detail report, app → column. */
const DETAIL_DATE_COLUMNS_V1: Readonly<Record<string, string>> = {
  copilotChat: 'copilotChatLastActivityDate',
  microsoftTeams: 'microsoftTeamsCopilotLastActivityDate',
  word: 'wordCopilotLastActivityDate',
  excel: 'excelCopilotLastActivityDate',
  powerPoint: 'powerPointCopilotLastActivityDate',
  outlook: 'outlookCopilotLastActivityDate',
  oneNote: 'oneNoteCopilotLastActivityDate',
  loop: 'loopCopilotLastActivityDate',
};

/** The per-app last-activity date columns of the user detail report, app → column (v2 adds its apps to v1's). */
export const DETAIL_DATE_COLUMNS: Readonly<Record<ReportVersion, Readonly<Record<string, string>>>> = {
  v1: DETAIL_DATE_COLUMNS_V1,
  v2: {
    ...DETAIL_DATE_COLUMNS_V1,
    copilotChatWork: 'copilotChatWorkLastActivityDate',
    copilotChatWeb: 'copilotChatWebLastActivityDate',
    microsoft365Copilot: 'microsoft365CopilotLastActivityDate',
    edge: 'edgeLastActivityDate',
    copilotAgent: 'copilotAgentLastActivityDate',
  },
};

/** v2's per-user numbers ("Prompts submitted for all apps", …, "Active Usage Days for all apps"). */
export const DETAIL_V2_COUNTS = ['promptsSubmittedForAllApps', 'promptsSubmittedForCopilotChatWork', 'promptsSubmittedForCopilotChatWeb', 'activeUsageDaysForAllApps'] as const;

export type UsageReport = 'userDetail' | 'userCountSummary' | 'userCountTrend';

const counts = (version: ReportVersion): Column[] => COUNT_APPS[version].flatMap((app) => [{ key: `${app}EnabledUsers`, kind: 'count' as const }, { key: `${app}ActiveUsers`, kind: 'count' as const }]);

export function columnsOf(report: UsageReport, version: ReportVersion): Column[] {
  const refresh: Column = { key: 'reportRefreshDate', kind: 'date', required: true };
  if (report === 'userCountSummary')
    return [refresh, { key: 'reportPeriod', kind: 'count', required: true }, ...counts(version), ...(version === 'v2' ? [{ key: 'totalPromptsSubmitted', kind: 'count' as const }, { key: 'averagePromptsSubmitted', kind: 'number' as const }] : [])];
  if (report === 'userCountTrend')
    return [refresh, { key: 'reportDate', kind: 'date', required: true }, ...counts(version), { key: 'reportPeriod', kind: 'count' }, ...(version === 'v2' ? [{ key: 'promptsSubmitted', kind: 'count' as const }] : [])];
  return [
    refresh,
    { key: 'userPrincipalName', kind: 'text', required: true },
    { key: 'displayName', kind: 'text' },
    { key: 'lastActivityDate', kind: 'date' },
    ...Object.values(DETAIL_DATE_COLUMNS[version]).map((key) => ({ key, kind: 'date' as const })),
    ...(version === 'v2' ? DETAIL_V2_COUNTS.map((key) => ({ key, kind: 'count' as const })) : []),
    { key: 'reportPeriod', kind: 'periods' },
  ];
}

/** A column's name in any of its spellings (CSV header, JSON property), for matching. */
export function columnName(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
}
