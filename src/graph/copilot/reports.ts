import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { AppError } from '../../errors.js';
import type { GraphClient } from '../client.js';
import { columnName, columnsOf, type Column, type ReportVersion, type UsageReport } from './reportColumns.js';
import { ROUTES } from './routes.js';

/*
 * Microsoft 365 Copilot usage reports, GA in v1.0:
 *   GET /v1.0/copilot/reports/getMicrosoft365Copilot{UsageUserDetail|UserCountSummary|UserCountTrend}(period='D30'[,version='v2'])
 * Source: MicrosoftDocs/m365copilot-docs@90efae84 docs/api/admin-settings/reports/copilotreportroot-*.md;
 * msgraph-metadata@f54f11b6 schemas/v1.0-Prod.csdl (the three functions return Edm.Stream).
 * Delegated Reports.Read.All, and the signed-in user needs an Entra role that may read usage reports.
 *
 * v1.0 answers a CSV stream (application/octet-stream) even when $format=application/json is sent
 * (the UserCountSummary example does exactly that); beta answers JSON. Both are read here into the
 * same typed rows: the CSV with csv-parse as it streams in (quoted fields, a BOM), the JSON flattened
 * to the CSV's one-row-per-line form. Raw CSV never leaves this module, nor does any cell in an
 * error (the report holds user names): a bad cell is named by its column and line.
 */

export const REPORTS_SCOPE = 'Reports.Read.All';
const PERMISSIONS = [
  `${REPORTS_SCOPE} (delegated)`,
  'an Entra role that may read usage reports for the signed-in user (Reports Reader, Usage Summary Reports Reader, Global Reader, or an AI, Teams, Exchange or SharePoint Administrator)',
];

export const USAGE_REPORT_FUNCTIONS: Readonly<Record<UsageReport, string>> = {
  userDetail: 'getMicrosoft365CopilotUsageUserDetail',
  userCountSummary: 'getMicrosoft365CopilotUserCountSummary',
  userCountTrend: 'getMicrosoft365CopilotUserCountTrend',
};

/** One report row, keyed by the columns of its report and version (reportColumns.ts); an empty cell is absent. */
export type ReportRow = Record<string, string | number | number[]>;

export interface UsageReportQuery {
  report: UsageReport;
  period: string;
  version: ReportVersion;
  /** beta answers JSON; v1.0 (the default) CSV. */
  apiVersion?: 'v1.0' | 'beta';
}

export async function fetchUsageReport(graph: GraphClient, q: UsageReportQuery, signal: AbortSignal): Promise<{ rows: ReportRow[]; format: 'csv' | 'json' }> {
  // version is left out for v1, its default: the v1.0 metadata does not declare the parameter yet.
  const args = `period='${q.period}'${q.version === 'v2' ? ",version='v2'" : ''}`;
  const { data } = await graph.download({
    method: 'GET',
    route: ROUTES.usageReport,
    path: `/copilot/reports/${USAGE_REPORT_FUNCTIONS[q.report]}(${args})`,
    ...(q.apiVersion ? { version: q.apiVersion } : {}),
    // As the documented example sends it; v1.0 answers CSV all the same, and either is read.
    query: { $format: 'application/json' },
    scopes: [REPORTS_SCOPE],
    permissions: PERMISSIONS,
    signal,
    consume: (body, contentType) => decodeReport(body, contentType, q.report, q.version),
  });
  return data;
}

export async function decodeReport(body: ReadableStream<Uint8Array>, contentType: string, report: UsageReport, version: ReportVersion): Promise<{ rows: ReportRow[]; format: 'csv' | 'json' }> {
  const columns = columnsOf(report, version);
  if (/^application\/json\b/i.test(contentType.trim())) {
    const text = await new Response(body).text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // The parser's message quotes the body: it is not kept.
      throw badReport(report, 'its JSON does not parse');
    }
    return { rows: flattenJson(json, report).map((r, i) => typedRow(r, columns, report, `value row ${i + 1}`)), format: 'json' };
  }
  const rows: ReportRow[] = [];
  let header: string[] | undefined;
  // Loaded on the first CSV report, not at start: ten module files that tools/list does not need.
  const { parse: parseCsv } = await import('csv-parse');
  const parser = Readable.fromWeb(body as NodeReadableStream<Uint8Array>).pipe(
    parseCsv({ bom: true, columns: (names: string[]) => (header = names.map((h) => h.trim())), skip_empty_lines: true, relax_column_count: false }),
  );
  try {
    for await (const record of parser as AsyncIterable<Record<string, string>>) rows.push(typedRow(record, columns, report, `CSV line ${rows.length + 2}`));
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    // Not csv-parse's (its codes start CSV_): the body stopped arriving; the transport reports it as such.
    if (!String((cause as { code?: unknown }).code ?? '').startsWith('CSV_')) throw cause;
    // Only csv-parse's rule and line: its message may quote a cell, and the error is not kept as the cause for that reason.
    throw badReport(report, `its CSV does not parse (${String((cause as { code?: unknown }).code ?? 'invalid')}, line ${String((cause as { lines?: unknown }).lines ?? '?')})`);
  }
  // A report with no rows still has its header row: without the report's own columns it is not this report (a proxy's page, say).
  const names = new Set((header ?? []).map(columnName));
  const missing = columns.filter((c) => c.required && !names.has(columnName(c.key))).map((c) => c.key);
  if (missing.length) throw badReport(report, `its ${contentType || 'untyped'} answer has no ${missing.join(', ')} column (is it a CSV report?)`);
  return { rows, format: 'csv' };
}

/** The beta JSON forms, one object per CSV line: summary value[].adoptionByProduct[], trend value[].adoptionByDate[], detail value[]. */
function flattenJson(json: unknown, report: UsageReport): Record<string, unknown>[] {
  const value = (json as { value?: unknown } | null)?.value;
  if (!Array.isArray(value)) throw badReport(report, 'its JSON has no value array');
  const out: Record<string, unknown>[] = [];
  for (const item of value as Record<string, unknown>[]) {
    if (typeof item !== 'object' || item === null) throw badReport(report, 'a value entry is not an object');
    if (report === 'userDetail') {
      const byPeriod = item['copilotActivityUserDetailsByPeriod'];
      const periods = Array.isArray(byPeriod) ? byPeriod.map((p) => (p as { reportPeriod?: unknown } | null)?.reportPeriod) : [];
      out.push({ ...item, reportPeriod: periods.filter((p) => typeof p === 'number') });
      continue;
    }
    const nested = item[report === 'userCountSummary' ? 'adoptionByProduct' : 'adoptionByDate'];
    if (!Array.isArray(nested)) throw badReport(report, `a value entry has no ${report === 'userCountSummary' ? 'adoptionByProduct' : 'adoptionByDate'} array`);
    for (const row of nested as Record<string, unknown>[]) out.push({ reportRefreshDate: item['reportRefreshDate'], ...(item['reportPeriod'] !== undefined ? { reportPeriod: item['reportPeriod'] } : {}), ...row });
  }
  return out;
}

function typedRow(record: Record<string, unknown>, columns: readonly Column[], report: UsageReport, where: string): ReportRow {
  const byName = new Map<string, unknown>();
  for (const [k, v] of Object.entries(record)) byName.set(columnName(k), v);
  const row: ReportRow = {};
  for (const col of columns) {
    const raw = byName.get(columnName(col.key));
    if (raw === undefined || raw === null || raw === '') {
      if (col.required) throw badReport(report, `${where} has no ${col.key}`);
      continue;
    }
    const value = typed(raw, col);
    if (value === undefined) throw badReport(report, `${where}: ${col.key} is not a ${col.kind === 'periods' ? 'period in days' : col.kind}`);
    row[col.key] = value;
  }
  return row;
}

const WHOLE = /^\d+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function typed(raw: unknown, col: Column): string | number | number[] | undefined {
  switch (col.kind) {
    case 'count':
      if (typeof raw === 'number') return Number.isInteger(raw) && raw >= 0 ? raw : undefined;
      return typeof raw === 'string' && WHOLE.test(raw.trim()) ? Number(raw.trim()) : undefined;
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : NaN;
      return Number.isFinite(n) && n >= 0 ? n : undefined;
    }
    case 'date':
      return typeof raw === 'string' && DATE.test(raw.trim()) ? raw.trim() : undefined;
    case 'text':
      return typeof raw === 'string' ? raw : undefined;
    case 'periods': {
      // JSON: the numbers of copilotActivityUserDetailsByPeriod; CSV: one period, or several (ALL) joined.
      const parts = Array.isArray(raw) ? raw : typeof raw === 'number' ? [raw] : String(raw).split(/[;,\s]+/).filter(Boolean).map(Number);
      return parts.every((p) => typeof p === 'number' && Number.isInteger(p) && p > 0) ? (parts as number[]) : undefined;
    }
  }
}

function badReport(report: UsageReport, what: string): AppError {
  return new AppError('BadGraphResponse', `Graph's ${report} usage report could not be read: ${what}. Nothing of the report is passed on.`, {
    nextStep: 'Retry; if it persists, check that graphBaseUrl points at Microsoft Graph (a proxy may be answering instead), and report the requestId.',
    details: { report },
  });
}
