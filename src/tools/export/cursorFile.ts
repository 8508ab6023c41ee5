import { randomBytes } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';
import * as z from 'zod';
import { AppError } from '../../errors.js';
import { APP_NAMES } from '../appClasses.js';
import { fileError } from './fileErrors.js';
import { openOwnedFile, readOwnedFile } from './ownedFile.js';

/** Far above any cursor (100 users with their next links); a bigger file at that name is not ours. */
const MAX_CURSOR_BYTES = 4 * 1024 * 1024;

/**
 * `<outputFile>.cursor.json`: where a file-mode export stands, rewritten after every page.
 *
 * Resume design: `bytes` is the length of outputFile right after the last page it accounts for, and
 * each user's `next` is the page after that one. A page is appended and flushed first, the cursor
 * replaced second, so a process killed between the two leaves a file longer than `bytes`; resuming
 * cuts the file back to `bytes` and fetches that page again. Nothing is duplicated (the tail is gone)
 * and nothing is missed (the cursor still points at the page). Truncating was chosen over
 * de-duplicating by id because it needs no read of the file, so memory stays flat however big the
 * export, and it also removes a half-written last line.
 */
const UserState = z.object({
  id: z.string(),
  upn: z.string().optional(),
  /** Absolute URL of the next page to fetch; null once the user's last page is in the file. */
  next: z.string().nullable(),
  /** This user's interactions in the file (up to `bytes`). */
  interactions: z.number().int().min(0),
});

export const CursorFileSchema = z.object({
  format: z.literal('m365-copilot-mcp/export-cursor'),
  version: z.literal(1),
  /** Where the export reads from: a cursor is useless against another tenant or Graph. */
  endpoint: z.object({ graph: z.string(), authority: z.string() }),
  /** The query as asked (canonical); a call with another query may not continue this file. */
  query: z.object({
    users: z.array(z.string()),
    appClass: z.array(z.enum(APP_NAMES)).nullable(),
    since: z.string().nullable(),
    until: z.string().nullable(),
  }),
  /** The window completed by the first call, which the page URLs carry. */
  window: z.object({ since: z.string(), until: z.string() }).nullable(),
  bytes: z.number().int().min(0),
  /** Interactions (lines) in the file up to `bytes`. */
  lines: z.number().int().min(0),
  users: z.array(UserState).min(1),
  complete: z.boolean(),
  updatedAt: z.string(),
});
export type CursorFile = z.infer<typeof CursorFileSchema>;
export type CursorUser = z.infer<typeof UserState>;

export function cursorPathFor(outputFile: string): string {
  return `${outputFile}.cursor.json`;
}

/**
 * The cursor, undefined when there is none, or 'unreadable' when it exists but is not one of ours.
 * Read like the output file (no symlink, no FIFO, this user's own regular file): a cursor planted
 * by someone else is refused, never followed.
 */
export async function readCursorFile(path: string): Promise<CursorFile | undefined | 'unreadable'> {
  const text = await readOwnedFile(path, MAX_CURSOR_BYTES, 'read');
  if (text === undefined) return undefined;
  try {
    const parsed = CursorFileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/**
 * Write-temp, flush, rename: a reader (or a resume after a crash) sees the old cursor or the new one,
 * never a mix. The temporary file has a random name and is created exclusively, so nothing planted
 * at a guessable name (a symlink elsewhere) is ever written through; rename replaces the cursor's
 * name itself, never what a symlink there points at.
 */
export async function writeCursorFile(path: string, cursor: CursorFile): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = (await openOwnedFile(temp, 'create', 'create'))!;
    try {
      await handle.writeFile(`${JSON.stringify(cursor, null, 1)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err instanceof AppError ? err : fileError(err, path, 'write the cursor');
  }
}
