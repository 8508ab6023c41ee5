import { AppError } from '../../errors.js';
import type { ToolContext } from '../tool.js';
import { AppendOnlyFile } from './appendOnlyFile.js';
import { readCursorFile, writeCursorFile, type CursorFile } from './cursorFile.js';
import { firstPageUrl } from '../../graph/copilot/interactionExport.js';
import type { ExportQuery } from './query.js';
import { resolveUsers } from './users.js';

export interface OpenedExport {
  state: CursorFile;
  file: AppendOnlyFile;
  resumed: boolean;
  /** Bytes past the cursor's `bytes` that were cut off: a page written but not yet recorded when the last run stopped. */
  discardedBytes: number;
}

const OTHER_FILE = 'Choose another outputFile, or pass overwrite: true to replace this one (its content is lost).';
const NOT_OURS = 'Choose another outputFile: overwrite replaces only an export this server wrote (one with its .cursor.json beside it).';

/**
 * Starts a new export into outputFile, or continues the one its cursor describes. Never replaces
 * data it cannot account for: a file without a cursor of ours beside it is never written, not even
 * with overwrite, which only starts one of our own exports over.
 */
export async function openExport(outputFile: string, cursorPath: string, query: ExportQuery, overwrite: boolean, ctx: ToolContext): Promise<OpenedExport> {
  const endpoint = { graph: new URL(ctx.environment.graphBaseUrl).origin, authority: ctx.environment.authority };
  const found = await readCursorFile(cursorPath);
  if (found === 'unreadable')
    throw new AppError('InvalidArgument', `${cursorPath} is not an export cursor this server can read, so ${outputFile} is not an export it can continue or replace`, {
      nextStep: NOT_OURS,
    });
  const existing = await AppendOnlyFile.openExisting(outputFile);
  try {
    if (found && !overwrite) return await resume(found, existing, outputFile, endpoint, query, ctx);
    if (existing && !found)
      throw new AppError('InvalidArgument', `${outputFile} already exists and has no export cursor (${cursorPath}), so it is not an export this server can continue; it was left untouched`, {
        nextStep: overwrite ? NOT_OURS : OTHER_FILE,
      });
    // Users are resolved (and the caller authorised for each) before the file is touched, so a bad
    // user id leaves an existing file as it was, even with overwrite.
    const users = await resolveUsers(query.userRefs, ctx);
    const state: CursorFile = {
      format: 'm365-copilot-mcp/export-cursor',
      version: 1,
      endpoint,
      query: query.asked,
      window: query.window ?? null,
      bytes: 0,
      lines: 0,
      users: users.map((u) => ({ id: u.id, ...(u.upn ? { upn: u.upn } : {}), next: firstPageUrl(ctx.environment.graphBaseUrl, u.id, query.filter).href, interactions: 0 })),
      complete: false,
      updatedAt: new Date().toISOString(),
    };
    const file = existing ?? (await AppendOnlyFile.create(outputFile));
    try {
      if (existing) await file.truncate(0);
      await writeCursorFile(cursorPath, state);
    } catch (err) {
      await file.close();
      throw err;
    }
    return { state, file, resumed: false, discardedBytes: 0 };
  } catch (err) {
    await existing?.close();
    throw err;
  }
}

async function resume(
  found: CursorFile,
  existing: AppendOnlyFile | undefined,
  outputFile: string,
  endpoint: CursorFile['endpoint'],
  query: ExportQuery,
  ctx: ToolContext,
): Promise<OpenedExport> {
  if (found.endpoint.graph !== endpoint.graph || found.endpoint.authority.toLowerCase() !== endpoint.authority.toLowerCase())
    throw new AppError('InvalidArgument', `${outputFile} holds an export from ${found.endpoint.graph} (${found.endpoint.authority}); this server talks to ${endpoint.graph} (${endpoint.authority})`, {
      nextStep: `Resume it with a server configured for that tenant, or ${OTHER_FILE[0]!.toLowerCase()}${OTHER_FILE.slice(1)}`,
    });
  if (JSON.stringify(found.query) !== JSON.stringify(query.asked))
    throw new AppError('InvalidArgument', `${outputFile} holds a different export (${describe(found.query)}) than this call asks for (${describe(query.asked)})`, {
      nextStep: `To continue it, repeat the call with the same users, appClass, since and until. Otherwise ${OTHER_FILE[0]!.toLowerCase()}${OTHER_FILE.slice(1)}`,
    });
  if (!existing && found.bytes > 0)
    throw new AppError('InvalidArgument', `${outputFile} is missing, but its cursor says ${found.lines} interactions were written to it`, {
      nextStep: 'Put the file back to continue, or pass overwrite: true to start the export over.',
    });
  const size = existing?.size ?? 0;
  if (size < found.bytes)
    throw new AppError('InvalidArgument', `${outputFile} is shorter (${size} bytes) than its cursor records (${found.bytes}); it was changed after the export wrote it`, {
      nextStep: OTHER_FILE,
    });
  if (found.bytes > 0 && (await existing!.byteAt(found.bytes - 1)) !== 0x0a)
    throw new AppError('InvalidArgument', `${outputFile} does not end a line where its cursor says the export stopped; it was changed after the export wrote it`, {
      nextStep: OTHER_FILE,
    });
  // By object id only: the cursor's UPNs are labels, and a planted cursor must not widen a grant.
  for (const u of found.users) (await ctx.authorizeExport({ id: u.id })).confirm(u.id);
  const file = existing ?? (await AppendOnlyFile.create(outputFile));
  const discardedBytes = size - found.bytes;
  if (discardedBytes > 0) {
    await file.truncate(found.bytes);
    ctx.log.info('export resume: cut the unrecorded tail of the file; those pages are fetched again', { discardedBytes, bytes: found.bytes });
  }
  return { state: found, file, resumed: true, discardedBytes };
}

function describe(q: CursorFile['query']): string {
  const parts = [`users ${q.users.join(', ')}`];
  if (q.appClass) parts.push(`apps ${q.appClass.join(', ')}`);
  if (q.since) parts.push(`since ${q.since}`);
  if (q.until) parts.push(`until ${q.until}`);
  return parts.join('; ');
}
