import { isAbsolute } from 'node:path';
import * as z from 'zod';
import { AppError } from '../errors.js';
import { APP_NAMES } from './appClasses.js';
import { exportToFile } from './export/fileMode.js';
import { exportPage } from './export/pageMode.js';
import { exportQuery } from './export/query.js';
import { renderFileText, renderPageText } from './export/render.js';
import { Exchange, ONE_SIDED_WINDOW_DAYS } from './export/shape.js';
import { isoInstant, userRef } from './export/refs.js';
import { resolveAndAuthorize } from './export/users.js';
import { defineTool } from './tool.js';

export { buildFilter, pair } from './export/shape.js';

/** Admins export teams, not tenants, in one call; a whole tenant is several calls into several files. */
const MAX_USERS = 100;

const input = z
  .object({
    userId: userRef.optional().describe('Whose Copilot interactions to export: Entra object id or UPN. Give this or userIds.'),
    userIds: z
      .array(userRef)
      .min(1)
      .max(MAX_USERS)
      .optional()
      .describe(`Several users at once (admins), up to ${MAX_USERS}: object ids or UPNs. More than one needs outputFile; all go to that one file, each line naming its user.`),
    appClass: z.array(z.enum(APP_NAMES)).min(1).max(APP_NAMES.length).optional().describe('Only these Copilot apps.'),
    since: isoInstant.optional().describe('Start of the time window (ISO 8601). Alone, the window runs to now.'),
    until: isoInstant.optional().describe(`End of the time window (ISO 8601). Alone, the window starts ${ONE_SIDED_WINDOW_DAYS} days earlier.`),
    limit: z.number().int().min(1).max(1000).default(50).describe('Maximum interactions to return (1–1000, default 50). Ignored with outputFile, which gets every interaction.'),
    cursor: z.string().min(1).max(8192).optional().describe('nextCursor from a previous call, to continue the same export (not with outputFile).'),
    outputFile: z
      .string()
      .min(2)
      .max(4096)
      .refine((p) => isAbsolute(p), { message: 'must be an absolute path, e.g. /home/me/copilot-export.jsonl' })
      .optional()
      .describe(
        'Absolute path of a JSONL file to stream EVERY interaction into (all pages, all users; one JSON object per line), with progress notifications. ' +
          'A cursor beside it (<outputFile>.cursor.json) lets a later call with the same arguments continue after a cancel, an error or a crash. ' +
          'An existing file is never replaced unless overwrite is true. Local (stdio) server only.',
      ),
    overwrite: z.boolean().optional().describe('With outputFile: start over, replacing an existing file (its content is lost) instead of continuing or refusing. Default false.'),
    maxSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .optional()
      .describe('With outputFile: stop starting new pages after about this many seconds and answer with complete: false; call again to continue. For clients that give up on long calls.'),
  })
  .superRefine((a, ctx) => {
    if (a.since && a.until && Date.parse(a.since) >= Date.parse(a.until)) ctx.addIssue({ code: 'custom', path: ['until'], message: 'until must be later than since' });
    if (!a.userId && !a.userIds) ctx.addIssue({ code: 'custom', path: ['userId'], message: 'give userId (one user) or userIds (several users)' });
    if (a.userId && a.userIds) ctx.addIssue({ code: 'custom', path: ['userIds'], message: 'give userId or userIds, not both' });
    // Page mode answers one user's exchanges with a cursor into that user's pages; several users are a bulk job, for the file.
    if (a.userIds && a.userIds.length > 1 && !a.outputFile)
      ctx.addIssue({ code: 'custom', path: ['userIds'], message: 'more than one user needs outputFile (page mode returns one user at a time: call once per user, or stream them all to a file)' });
    if (a.cursor && a.outputFile) ctx.addIssue({ code: 'custom', path: ['cursor'], message: 'cursor is for page mode; with outputFile the export continues from <outputFile>.cursor.json by itself' });
    if (a.overwrite !== undefined && !a.outputFile) ctx.addIssue({ code: 'custom', path: ['overwrite'], message: 'overwrite applies only with outputFile' });
    if (a.maxSeconds !== undefined && !a.outputFile) ctx.addIssue({ code: 'custom', path: ['maxSeconds'], message: 'maxSeconds applies only with outputFile' });
  });

const FileSummary = z.object({
  path: z.string().describe('The JSONL file: one interaction per line with user, app, sessionId and requestId.'),
  cursorFile: z.string().describe('Where the export stands; a call with the same arguments continues from it.'),
  bytes: z.number(),
  interactions: z.number().describe('Interactions (lines) in the file, from every call that wrote to it.'),
  pages: z.number().describe('Export pages fetched by this call.'),
  complete: z.boolean().describe('Every page of every user is in the file.'),
  resumed: z.boolean().describe('This call continued an export an earlier call started.'),
  discardedBytes: z.number().describe('Bytes after the last recorded page (a page written as the previous run stopped) that were cut off and fetched again.'),
  users: z.array(z.object({ id: z.string(), upn: z.string().optional(), interactions: z.number(), complete: z.boolean() })),
});

const output = z.object({
  user: z.object({ id: z.string(), upn: z.string().optional() }).optional().describe('Whose interactions these are (page mode).'),
  window: z.object({ since: z.string(), until: z.string() }).optional(),
  appClasses: z.array(z.string()).optional(),
  count: z.number().describe('Interactions returned in this call (page mode) or written to the file by this call (file mode).'),
  exchanges: z.array(Exchange).optional().describe('Page mode: a prompt then its responses, paired by requestId; oldest first.'),
  nextCursor: z.string().optional().describe('Page mode: pass as `cursor` to get the next interactions; absent when the export is complete.'),
  file: FileSummary.optional().describe('File mode (outputFile): where the export went and how far it got; no interaction bodies.'),
});
type Out = z.output<typeof output>;

export const exportInteractionsTool = defineTool({
  name: 'copilot_export_interactions',
  title: 'Export Copilot interactions (compliance)',
  description: [
    "Export a user's Microsoft 365 Copilot prompts and responses (Copilot Chat, Teams, Word, Excel, PowerPoint, Outlook, …) for compliance review.",
    'Returns exchanges (a prompt and its responses paired by requestId) with the plain text, app, time, and attachment/link/mention summaries,',
    'oldest first, and nextCursor when more exist. With outputFile (local server only) it instead streams every interaction of one or several',
    'users (userIds) to a JSONL file with progress, resumable by calling again with the same arguments, and returns counts only.',
    'Uses the app-only permission AiEnterpriseInteraction.Read.All (an admin-consented app); Graph allows 30 export requests/s per tenant, which this server keeps to.',
  ].join(' '),
  input,
  output,
  permissions: { delegated: [], application: ['AiEnterpriseInteraction.Read.All', 'User.Read.All'] },
  async handle(args, ctx) {
    const query = exportQuery(args);
    const filters = { ...(query.window ? { window: query.window } : {}), ...(args.appClass ? { appClasses: args.appClass } : {}) };

    if (args.outputFile) {
      if (ctx.environment.transport === 'http')
        throw new AppError('InvalidArgument', 'outputFile is available only when this server runs locally over stdio', {
          nextStep:
            "Over HTTP the server runs on another machine for many users: a path would name a file on the server's disk, not yours, and would let callers write files there. Omit outputFile and page through the export with cursor, or run the server locally (stdio) to write files.",
        });
      const r = await exportToFile(query, { outputFile: args.outputFile, overwrite: args.overwrite ?? false, maxSeconds: args.maxSeconds }, ctx);
      const { written, window, ...file } = r;
      const structured: Out = { ...filters, ...(window ? { window } : {}), count: written, file };
      return { structured, text: renderFileText(r) };
    }

    const user = await resolveAndAuthorize(query.userRefs[0]!, ctx);
    const page = await exportPage(query, user, args.limit, args.cursor, ctx);
    const structured: Out = {
      user: { id: user.id, ...(user.upn ? { upn: user.upn } : {}) },
      ...filters,
      ...(page.window ? { window: page.window } : {}),
      count: page.count,
      exchanges: page.exchanges,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
    return { structured, text: renderPageText(structured) };
  },
});
