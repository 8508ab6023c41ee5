import * as z from 'zod';
import { AppError } from '../errors.js';
import { confinedOutputPath } from './export/exportDir.js';
import { exportToFile } from './export/fileMode.js';
import { exportQuery } from './export/query.js';
import { renderFileText } from './export/render.js';
import { checkWindow, exportFilterFields, userRef } from './export/refs.js';
import { defineTool } from './tool.js';
import { withExportMemoryLimits } from './export/exportMemoryLimits.js';

/** Admins export teams, not tenants, in one call; a whole tenant is several calls into several files. */
const MAX_USERS = 100;

const input = z
  .object({
    userIds: z.array(userRef).min(1).max(MAX_USERS).describe(`Whose Copilot interactions to export, up to ${MAX_USERS}: object ids or UPNs. All go to the one file, each line naming its user.`),
    ...exportFilterFields,
    outputFile: z
      .string()
      .min(1)
      .max(1024)
      .describe(
        'Name of the JSONL file to stream EVERY interaction into, inside the export directory the user configured (a name such as "copilot-export.jsonl", or a path in a folder inside it). ' +
          'A cursor beside it (<outputFile>.cursor.json) lets a later call with the same arguments continue after a cancel, an error or a crash. ' +
          'An existing file is never written unless it is an export this server wrote; then overwrite: true starts it over.',
      ),
    overwrite: z.boolean().optional().describe('Start over, replacing an earlier export of this server in outputFile (its content is lost) instead of continuing it. Never replaces any other file. Default false.'),
    maxSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .optional()
      .describe('Stop starting new pages after about this many seconds and answer with complete: false; call again to continue. For clients that give up on long calls.'),
  })
  .superRefine(checkWindow);

const output = z.object({
  window: z.object({ since: z.string(), until: z.string() }).optional(),
  appClasses: z.array(z.string()).optional(),
  count: z.number().describe('Interactions written to the file by this call.'),
  file: z
    .object({
      path: z.string().describe('The JSONL file: one interaction per line with user, app, sessionId and requestId.'),
      cursorFile: z.string().describe('Where the export stands; a call with the same arguments continues from it.'),
      bytes: z.number(),
      interactions: z.number().describe('Interactions (lines) in the file, from every call that wrote to it.'),
      pages: z.number().describe('Export pages fetched by this call.'),
      complete: z.boolean().describe('Every page of every user is in the file.'),
      resumed: z.boolean().describe('This call continued an export an earlier call started.'),
      discardedBytes: z.number().describe('Bytes after the last recorded page (a page written as the previous run stopped) that were cut off and fetched again.'),
      users: z.array(z.object({ id: z.string(), upn: z.string().optional(), interactions: z.number(), complete: z.boolean() })),
    })
    .describe('Where the export went and how far it got; no interaction bodies.'),
});
type Out = z.output<typeof output>;

export const exportToFileTool = defineTool({
  name: 'copilot_export_interactions_to_file',
  title: 'Export Copilot interactions to a file (compliance)',
  description: [
    "Stream every Microsoft 365 Copilot prompt and response of one or several users into a JSONL file in the export directory the user configured,",
    'with progress, resumable by calling again with the same arguments; returns counts only (no interaction text).',
    'Writes files: only new files, or an earlier export of its own with overwrite. App-only permission AiEnterpriseInteraction.Read.All; 30 export requests/s per tenant.',
  ].join(' '),
  // It creates files; with overwrite it replaces an earlier export of its own.
  instructions: "copilot_export_interactions_to_file streams whole exports into the user's export directory",
  toolset: 'compliance',
  stability: 'ga',
  api: { name: 'the Copilot interaction export API', clouds: ['global', 'usgov', 'usgovdod'] },
  readOnly: false,
  destructive: true,
  needs: ['localFiles'],
  input,
  output,
  permissions: { delegated: [], application: ['AiEnterpriseInteraction.Read.All', 'User.Read.All'] },
  audited: { userIds: 'value', appClass: 'value', since: 'value', until: 'value', outputFile: 'value', overwrite: 'value', maxSeconds: 'value' },
  examples: { userIds: ['adele.vance@contoso.com'], appClass: ['word'], since: '2026-11-01', until: '2026-11-30T23:59:59Z', outputFile: 'copilot-export.jsonl', overwrite: false, maxSeconds: 600 },
  async handle(args, ctx) {
    if (!ctx.files)
      throw new AppError('InvalidArgument', 'file export is off: the user has not configured an export directory', {
        nextStep: 'Start the server with --export-dir DIR (M365_COPILOT_MCP_EXPORT_DIR) naming a folder for exports, or use copilot_export_interactions page by page.',
      });
    const outputFile = await confinedOutputPath(ctx.files.exportDir, args.outputFile);
    const query = exportQuery(args);
    const r = await withExportMemoryLimits(() => exportToFile(query, { outputFile, overwrite: args.overwrite ?? false, maxSeconds: args.maxSeconds }, ctx));
    const { written, window, ...file } = r;
    const structured: Out = { ...(args.appClass ? { appClasses: args.appClass } : {}), ...(window ? { window } : {}), count: written, file };
    return { structured, text: renderFileText(r) };
  },
});
