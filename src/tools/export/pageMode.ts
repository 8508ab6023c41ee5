import { createHash } from 'node:crypto';
import { AppError } from '../../errors.js';
import { exportPath, fetchExportPage, firstPageUrl, PAGE_SIZE } from '../../graph/copilot/interactionExport.js';
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
  if (rawCursor) {
    const cursor = decodeCursor(rawCursor);
    if (cursor.q !== fingerprint)
      throw new AppError('InvalidArgument', 'cursor belongs to a different export (another user, app filter or time window)', {
        nextStep: 'Repeat the call with the same userId, appClass, since and until as the call that returned the cursor, or drop the cursor to start over.',
      });
    pageUrl = new URL(cursor.u);
    if (pageUrl.origin !== base.origin || !pageUrl.pathname.toLowerCase().includes(exportPath(user.id).toLowerCase()))
      throw new AppError('InvalidArgument', 'cursor does not point at this export', { nextStep: 'Drop the cursor to start the export over.' });
    skip = cursor.s;
    window = cursor.w;
  } else {
    pageUrl = firstPageUrl(ctx.environment.graphBaseUrl, user.id, query.filter);
  }
  const cursorAt = (u: URL | string, s: number) => encodeCursor({ v: 2, q: fingerprint, u: String(u), s, ...(window ? { w: window } : {}) });

  const taken: AiInteraction[] = [];
  let nextCursor: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await fetchExportPage(ctx.appGraph, pageUrl, ctx.signal);
    const items = page.items.slice(skip);
    const room = limit - taken.length;
    let use = Math.min(room, items.length);
    // Never split a prompt from its response across calls when the response is already in hand.
    while (use > 0 && use < items.length && sameRequest(items[use - 1]!, items[use]!)) use++;
    taken.push(...items.slice(0, use));
    if (use < items.length) {
      nextCursor = cursorAt(pageUrl, skip + use);
      break;
    }
    skip = 0;
    if (!page.nextLink) break;
    if (taken.length >= limit) {
      nextCursor = cursorAt(page.nextLink, 0);
      break;
    }
    pageUrl = new URL(page.nextLink);
    if (limit > PAGE_SIZE) await ctx.progress(taken.length, limit, `exported ${taken.length} interactions (${pages} pages)`);
  }
  return { user, window, count: taken.length, exchanges: pair(taken), nextCursor };
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if (c && c.v === 2 && typeof c.q === 'string' && typeof c.u === 'string' && Number.isInteger(c.s) && c.s >= 0) return c;
  } catch {
    // fall through to the error below
  }
  throw new AppError('InvalidArgument', 'cursor is not a cursor this server issued', { nextStep: 'Pass the nextCursor value exactly as returned, or drop it to start over.' });
}
