import * as z from 'zod';
import { exportPage } from './export/pageMode.js';
import { exportQuery } from './export/query.js';
import { renderPageText } from './export/render.js';
import { Exchange } from './export/shape.js';
import { checkWindow, exportFilterFields, userRef } from './export/refs.js';
import { resolveAndAuthorize } from './export/users.js';
import { defineTool } from './tool.js';

export { buildFilter, pair } from './export/shape.js';

const input = z
  .object({
    userId: userRef.describe("Whose Copilot interactions to export: Entra object id or UPN."),
    ...exportFilterFields,
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(50)
      .describe('Maximum interactions to return (1–1000, default 50). A prompt and its responses are not split across calls, so a call may return fewer.'),
    cursor: z.string().min(1).max(8192).optional().describe('nextCursor from a previous call, to continue the same export.'),
  })
  .superRefine(checkWindow);

const output = z.object({
  user: z.object({ id: z.string(), upn: z.string().optional() }).describe('Whose interactions these are.'),
  window: z.object({ since: z.string(), until: z.string() }).optional(),
  appClasses: z.array(z.string()).optional(),
  count: z.number().describe('Interactions returned in this call.'),
  exchanges: z.array(Exchange).describe('A prompt then its responses, paired by requestId; oldest first.'),
  nextCursor: z.string().optional().describe('Pass as `cursor` to get the next interactions; absent when the export is complete.'),
});
type Out = z.output<typeof output>;

export const exportInteractionsTool = defineTool({
  name: 'copilot_export_interactions',
  title: 'Export Copilot interactions (compliance)',
  description: [
    "Export a user's Microsoft 365 Copilot prompts and responses (Copilot Chat, Teams, Word, Excel, PowerPoint, Outlook, …) for compliance review.",
    'Returns exchanges (a prompt and its responses paired by requestId) with the plain text, app, time, and attachment/link/mention summaries,',
    'oldest first, and nextCursor when more exist. For a whole history or several users, copilot_export_interactions_to_file (when offered) writes a JSONL file instead.',
    'Uses the app-only permission AiEnterpriseInteraction.Read.All (an admin-consented app); Graph allows 30 export requests/s per tenant, which this server keeps to.',
  ].join(' '),
  instructions: "copilot_export_interactions exports a user's Copilot prompts and responses for compliance review, page by page",
  toolset: 'compliance',
  stability: 'ga',
  api: { name: 'the Copilot interaction export API', clouds: ['global', 'usgov', 'usgovdod'] },
  readOnly: true,
  input,
  output,
  permissions: { delegated: [], application: ['AiEnterpriseInteraction.Read.All', 'User.Read.All'] },
  audited: { userId: 'value', appClass: 'value', since: 'value', until: 'value', limit: 'value', cursor: 'presence' },
  examples: { userId: 'adele.vance@contoso.com', appClass: ['word', 'teams'], since: '2026-11-01', until: '2026-11-30T23:59:59Z', limit: 50, cursor: '(the nextCursor of the previous answer, unchanged)' },
  async handle(args, ctx) {
    const query = exportQuery(args);
    const user = await resolveAndAuthorize(query.userRefs[0]!, ctx);
    const page = await exportPage(query, user, args.limit, args.cursor, ctx);
    const structured: Out = {
      user: { id: user.id, ...(user.upn ? { upn: user.upn } : {}) },
      ...(args.appClass ? { appClasses: args.appClass } : {}),
      ...(page.window ? { window: page.window } : {}),
      count: page.count,
      exchanges: page.exchanges,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
    return { structured, text: renderPageText(structured) };
  },
});
