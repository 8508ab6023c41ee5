import type * as z from 'zod';
import { AppError } from '../../errors.js';
import type { GraphClient } from '../client.js';
import { ROUTES } from './routes.js';

/*
 * Microsoft 365 Copilot usage reports, GA in v1.0:
 *   GET /v1.0/copilot/reports/getMicrosoft365Copilot{UsageUserDetail|UserCountSummary|UserCountTrend}(period='D30')?$format=application/json
 * References: https://learn.microsoft.com/microsoft-365/copilot/extensibility/api/admin-settings/reports/copilotreportroot-getmicrosoft365copilotusageuserdetail
 * (…-getmicrosoft365copilotusercountsummary, …-getmicrosoft365copilotusercounttrend); source
 * MicrosoftDocs/m365copilot-docs docs/api/admin-settings/reports/*.md. Delegated Reports.Read.All,
 * and the signed-in user needs an Entra role that may read usage reports.
 *
 * v1.0 answers CSV unless asked for JSON. The Graph client decodes JSON only, so a CSV answer (a
 * proxy or tenant ignoring $format) is refused with a BadGraphResponse that carries none of the
 * CSV: the report holds user names, and raw CSV is no good to a model anyway.
 */

export const REPORTS_SCOPE = 'Reports.Read.All';
const PERMISSIONS = [
  `${REPORTS_SCOPE} (delegated)`,
  'an Entra role that may read usage reports for the signed-in user (Reports Reader, Usage Summary Reports Reader, Global Reader, or an AI, Teams, Exchange or SharePoint Administrator)',
];

export const USAGE_REPORTS = {
  userDetail: 'getMicrosoft365CopilotUsageUserDetail',
  userCountSummary: 'getMicrosoft365CopilotUserCountSummary',
  userCountTrend: 'getMicrosoft365CopilotUserCountTrend',
} as const;
export type UsageReport = keyof typeof USAGE_REPORTS;

export async function fetchUsageReport<T>(graph: GraphClient, report: UsageReport, period: string, schema: z.ZodType<T>, signal: AbortSignal): Promise<T> {
  try {
    const { data } = await graph.request({
      method: 'GET',
      route: ROUTES.usageReport,
      path: `/copilot/reports/${USAGE_REPORTS[report]}(period='${period}')`,
      // Without it v1.0 answers CSV.
      query: { $format: 'application/json' },
      scopes: [REPORTS_SCOPE],
      permissions: PERMISSIONS,
      schema,
      signal,
    });
    return data;
  } catch (err) {
    // Not JSON at all (the decoder names a content type): most likely the CSV form. Refuse it without quoting it.
    if (err instanceof AppError && err.code === 'BadGraphResponse' && typeof err.details['contentType'] === 'string') {
      const contentType = err.details['contentType'];
      throw new AppError('BadGraphResponse', `Graph answered the ${report} usage report as ${contentType} instead of JSON: something between this server and Graph ignored $format=application/json. The raw report is not passed on.`, {
        cause: err,
        nextStep: 'Check that graphBaseUrl points at Microsoft Graph and that no proxy rewrites the query string; then retry.',
        details: { contentType, ...(err.details['status'] !== undefined ? { status: err.details['status'] } : {}), ...(err.details['requestId'] !== undefined ? { requestId: err.details['requestId'] } : {}) },
      });
    }
    throw err;
  }
}
