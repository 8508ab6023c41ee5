import { describe, expect, it } from 'vitest';
import { decodeReport } from '../../src/graph/copilot/reports.js';
import { AppError } from '../../src/errors.js';

/*
 * The report decoder on Microsoft's documented forms (m365copilot-docs@90efae84
 * docs/api/admin-settings/reports/copilotreportroot-*.md: the v1.0 CSV header rows, the beta JSON
 * examples) with our own values, and on what CSV allows: a BOM, quoted fields, CRLF, chunks that
 * split a row anywhere.
 */

const streamOf = (text: string, chunk = 7) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      const bytes = new TextEncoder().encode(text);
      for (let i = 0; i < bytes.length; i += chunk) controller.enqueue(bytes.slice(i, i + chunk));
      controller.close();
    },
  });

const SUMMARY_CSV =
  'Report Refresh Date,Report Period,Microsoft Teams Enabled Users,Microsoft Teams Active Users,Word Enabled Users,Word Active Users,PowerPoint Enabled Users,PowerPoint Active Users,Outlook Enabled Users,Outlook Active Users,Excel Enabled Users,Excel Active Users,OneNote Enabled Users,OneNote Active Users,Loop Enabled Users,Loop Active Users,Any App Enabled Users,Any App Active Users,Copilot Chat Enabled Users,Copilot Chat Active Users\r\n' +
  '2026-05-03,7,40,12,40,9,40,3,40,11,40,2,40,1,40,0,40,21,40,15\r\n';

const DETAIL_CSV =
  '\ufeffReport Refresh Date,User Principal Name,Display Name,Last Activity Date,Copilot Chat Last Activity Date,Microsoft Teams Copilot Last Activity Date,Word Copilot Last Activity Date,Excel Copilot Last Activity Date,PowerPoint Copilot Last Activity Date,Outlook Copilot Last Activity Date,OneNote Copilot Last Activity Date,Loop Copilot Last Activity Date,Report Period\n' +
  '2026-05-03,lee.gu@contoso.example,"Gu, Lee ""LG""",2026-05-02,2026-05-02,,2026-04-30,,,,,,7\n' +
  '2026-05-03,E58EEF6A6BBD3D0293CB306D24A42057,6A4630397AAA1A9C8EED362168DC88A0,,,,,,,,,,7\n';

describe('usage report decoding', () => {
  it('reads the documented v1.0 summary CSV into typed rows', async () => {
    const { rows, format } = await decodeReport(streamOf(SUMMARY_CSV), 'application/octet-stream', 'userCountSummary', 'v1');
    expect(format).toBe('csv');
    expect(rows).toEqual([
      expect.objectContaining({ reportRefreshDate: '2026-05-03', reportPeriod: 7, microsoftTeamsActiveUsers: 12, anyAppEnabledUsers: 40, anyAppActiveUsers: 21, copilotChatActiveUsers: 15, loopActiveUsers: 0 }),
    ]);
  });

  it('handles a BOM, quoted fields with commas and quotes, empty cells as absent, and any chunking', async () => {
    for (const chunk of [1, 3, 64, 10_000]) {
      const { rows } = await decodeReport(streamOf(DETAIL_CSV, chunk), 'application/octet-stream', 'userDetail', 'v1');
      expect(rows).toHaveLength(2);
      expect(rows[0]).toEqual({
        reportRefreshDate: '2026-05-03',
        userPrincipalName: 'lee.gu@contoso.example',
        displayName: 'Gu, Lee "LG"',
        lastActivityDate: '2026-05-02',
        copilotChatLastActivityDate: '2026-05-02',
        wordCopilotLastActivityDate: '2026-04-30',
        reportPeriod: [7],
      });
      expect(rows[1]).not.toHaveProperty('lastActivityDate');
    }
  });

  it('reads the beta JSON examples into the same rows', async () => {
    const summary = { value: [{ reportRefreshDate: '2026-05-03', adoptionByProduct: [{ reportPeriod: 7, anyAppEnabledUsers: 40, anyAppActiveUsers: 21, microsoftTeamsEnabledUsers: 40, microsoftTeamsActiveUsers: 12 }] }] };
    const a = await decodeReport(streamOf(JSON.stringify(summary)), 'application/json; charset=utf-8', 'userCountSummary', 'v1');
    expect(a.format).toBe('json');
    expect(a.rows).toEqual([{ reportRefreshDate: '2026-05-03', reportPeriod: 7, anyAppEnabledUsers: 40, anyAppActiveUsers: 21, microsoftTeamsEnabledUsers: 40, microsoftTeamsActiveUsers: 12 }]);
    const trend = { value: [{ reportRefreshDate: '2026-05-03', reportPeriod: 7, adoptionByDate: [{ reportDate: '2026-05-03', anyAppEnabledUsers: 40, anyAppActiveUsers: 9 }] }] };
    expect((await decodeReport(streamOf(JSON.stringify(trend)), 'application/json', 'userCountTrend', 'v1')).rows).toEqual([{ reportRefreshDate: '2026-05-03', reportPeriod: 7, reportDate: '2026-05-03', anyAppEnabledUsers: 40, anyAppActiveUsers: 9 }]);
    const detail = { value: [{ reportRefreshDate: '2026-05-03', userPrincipalName: 'a@b', displayName: 'A', lastActivityDate: '', excelCopilotLastActivityDate: '2026-05-01', copilotActivityUserDetailsByPeriod: [{ reportPeriod: 7 }] }] };
    expect((await decodeReport(streamOf(JSON.stringify(detail)), 'application/json', 'userDetail', 'v1')).rows).toEqual([
      { reportRefreshDate: '2026-05-03', userPrincipalName: 'a@b', displayName: 'A', excelCopilotLastActivityDate: '2026-05-01', reportPeriod: [7] },
    ]);
  });

  it('types v2 columns by the docs words, in either spelling', async () => {
    const csv = 'Report Refresh Date,Report Date,Any App Enabled Users,Any App Active Users,Edge Enabled Users,Edge Active Users,Copilot Chat (work) Enabled Users,Copilot Chat (work) Active Users,Report Period,Prompts submitted\n2026-05-03,2026-05-03,40,9,40,1,40,6,7,57\n';
    const { rows } = await decodeReport(streamOf(csv), 'application/octet-stream', 'userCountTrend', 'v2');
    expect(rows[0]).toMatchObject({ edgeActiveUsers: 1, copilotChatWorkActiveUsers: 6, promptsSubmitted: 57, reportPeriod: 7 });
    // v1 does not read v2's columns.
    expect((await decodeReport(streamOf(csv), 'application/octet-stream', 'userCountTrend', 'v1')).rows[0]).not.toHaveProperty('edgeActiveUsers');
  });

  it('refuses what is not the report, naming the column and line but no cell', async () => {
    const cases: [string, string, RegExp][] = [
      ['<html><body>Welcome lee.gu@contoso.example</body></html>\n', 'text/html', /no reportRefreshDate/],
      [SUMMARY_CSV.replace(',12,', ',twelve,'), 'application/octet-stream', /CSV line 2: microsoftTeamsActiveUsers is not a count/],
      [DETAIL_CSV.replace('"Gu, Lee ""LG"""', '"Gu, Lee'), 'application/octet-stream', /CSV does not parse \(CSV_/],
      ['{"value": 3, "lee.gu@contoso.example": 1}', 'application/json', /no value array/],
      ['{ lee.gu@contoso.example', 'application/json', /JSON does not parse/],
    ];
    for (const [body, type, message] of cases) {
      const err = await decodeReport(streamOf(body), type, body.includes('User Principal') ? 'userDetail' : 'userCountSummary', 'v1').catch((e: unknown) => e);
      expect(err, body.slice(0, 40)).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('BadGraphResponse');
      expect((err as AppError).message).toMatch(message);
      expect((err as AppError).message).not.toContain('lee.gu');
      expect((err as AppError).message).not.toContain('twelve');
      expect((err as AppError).cause).toBeUndefined();
    }
  });
});
