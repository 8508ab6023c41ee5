import { createHash } from 'node:crypto';
import { AppError } from '../../errors.js';
import { fetchExportPage, firstPageUrl, PAGE_SIZE } from '../../graph/copilot/interactionExport.js';
import type { AiInteraction } from '../../graph/copilot/schemas.js';
import type { ToolContext } from '../tool.js';
import type { ExportQuery } from './query.js';
import { pair, sameRequest, type ExportUser, type OutExchange } from './shape.js';

export interface PageResult {
  user: ExportUser;
  window: { since: string; until: string } | undefined;
  count: number;
  exchanges: OutExchange[];
  nextCursor: string | undefined;
}

/**
 * Opaque to the caller. `q` fingerprints the query as asked (not the completed window, whose open end
 * is "now" and moves), so a cursor cannot be replayed against another user or filter; `w` keeps the
 * window the first call completed, which the nextLink already carries.
 */
interface Cursor {
  v: 2;
  q: string;
  /** Absolute URL of the page to continue in. */
  u: string;
  /** Items of that page already returned. */
  s: number;
  w?: { since: string; until: string };
}

/** One user, up to `limit` interactions per call, continued with the cursor it returns. */
export async function exportPage(query: ExportQuery, user: ExportUser, limit: number, rawCursor: string | undefined, ctx: ToolContext): Promise<PageResult> {
  const fingerprint = createHash('sha256').update(JSON.stringify([user.id, query.fingerprint])).digest('base64url').slice(0, 16);
  const base = new URL(ctx.environment.graphBaseUrl);

  let window = query.window;
  let pageUrl: URL;
  let skip = 0;
  const first = firstPageUrl(ctx.environment.graphBaseUrl, user.id, query.filter);
  if (rawCursor) {
    const cursor = asCursor(await ctx.cursors.open(CURSOR_PURPOSE, rawCursor));
    if (cursor.q !== fingerprint)
      throw new AppError('InvalidArgument', 'cursor belongs to a different export (another user, app filter or time window)', {
        nextStep: 'Repeat the call with the same userId, appClass, since and until as the call that returned the cursor, or drop the cursor to start over.',
      });
    pageUrl = new URL(cursor.u);
    // Exactly this user's export path on this Graph: the cursor is sealed, and this is checked anyway.
    if (pageUrl.origin !== base.origin || pageUrl.pathname.toLowerCase() !== first.pathname.toLowerCase())
      throw new AppError('InvalidArgument', 'cursor does not point at this export', { nextStep: 'Drop the cursor to start the export over.' });
    skip = cursor.s;
    window = cursor.w;
  } else {
    pageUrl = first;
  }
  const cursorAt = (u: URL | string, s: number) => ctx.cursors.seal(CURSOR_PURPOSE, { v: 2, q: fingerprint, u: String(u), s, ...(window ? { w: window } : {}) } satisfies Cursor);

  const taken: AiInteraction[] = [];
  let nextCursor: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await fetchExportPage(ctx.appGraph, pageUrl, ctx.signal);
    const items = page.items.slice(skip);
    const room = limit - taken.length;
    const fits = Math.min(room, items.length);
    let use = fits;
    // `limit` is a maximum: rather than split a prompt from its response, stop before the prompt,
    // unless that exchange alone is larger than the limit (then it is split, and the cursor continues it).
    while (use > 0 && use < items.length && sameRequest(items[use - 1]!, items[use]!)) use--;
    if (use === 0 && taken.length === 0) use = fits;
    taken.push(...items.slice(0, use));
    if (use < items.length) {
      nextCursor = await cursorAt(pageUrl, skip + use);
      break;
    }
    skip = 0;
    if (!page.nextLink) break;
    if (taken.length >= limit) {
      nextCursor = await cursorAt(page.nextLink, 0);
      break;
    }
    pageUrl = new URL(page.nextLink);
    if (limit > PAGE_SIZE) await ctx.progress(taken.length, limit, `exported ${taken.length} interactions (${pages} pages)`);
  }
  return { user, window, count: taken.length, exchanges: pair(taken), nextCursor };
}

const CURSOR_PURPOSE = 'export-page';

function asCursor(c: unknown): Cursor {
  const x = c as Partial<Cursor> | null;
  if (x && x.v === 2 && typeof x.q === 'string' && typeof x.u === 'string' && Number.isInteger(x.s) && x.s! >= 0) return x as Cursor;
  throw new AppError('InvalidArgument', 'cursor is not a cursor this server issued', { nextStep: 'Pass the nextCursor value exactly as returned, or drop it to start over.' });
}
