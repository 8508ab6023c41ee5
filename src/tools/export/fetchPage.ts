import { AppError } from '../../errors.js';
import { exportRateLimiter } from '../../graph/rateLimiter.js';
import { backoffSleep, defaultSleep } from '../../graph/retryPolicy.js';
import { normaliseBaseUrl, resolveGraphUrl } from '../../graph/url.js';
import { AiInteractionSchema, type AiInteraction } from '../../graph/schemas.js';
import type { ToolContext } from '../tool.js';

export const PAGE_SIZE = 100; // the value Graph recommends for this API
export const EXPORT_PERMISSIONS = ['AiEnterpriseInteraction.Read.All (application)'];
const BROKEN_BODY_ATTEMPTS = 3;

export interface ExportPage {
  items: AiInteraction[];
  /** Absolute URL of the next page; absent on the last page. */
  nextLink?: string;
}

/** The absolute URL of one user's first export page, the form every later page (a nextLink) has too. */
export function firstPageUrl(graphBaseUrl: string, userId: string, filter: string | undefined): URL {
  const query = new URLSearchParams({ $top: String(PAGE_SIZE) });
  if (filter) query.set('$filter', filter);
  return resolveGraphUrl(normaliseBaseUrl(graphBaseUrl), `${exportPath(userId)}?${query.toString().replace(/\+/g, '%20')}`, 'v1.0', undefined);
}

export function exportPath(userId: string): string {
  return `/copilot/users/${encodeURIComponent(userId)}/interactionHistory/getAllEnterpriseInteractions`;
}

/** Every export request, in page or file mode, for any user, waits for the process-wide permit. */
export function exportAdmission(ctx: ToolContext): (signal?: AbortSignal) => Promise<void> {
  const limiter = exportRateLimiter(ctx.environment.graphBaseUrl, ctx.environment.authority);
  return (signal) => limiter.acquire(signal);
}

/**
 * A body cut short or of the wrong shape (a proxy, a dropped connection that still looked complete)
 * is worth asking again: the page is a read addressed by its URL. The other BadGraphResponse cases
 * (a nextLink to another origin, or to itself) would only repeat, so they are not retried.
 */
function isBrokenBody(err: unknown): boolean {
  return err instanceof AppError && err.code === 'BadGraphResponse' && ('contentType' in err.details || 'field' in err.details);
}

/**
 * One page by its URL (the first page's path, or a nextLink). Throttling, outages and resets are
 * retried by the client's policy; a broken body a few more times here.
 */
export async function fetchExportPage(ctx: ToolContext, at: URL, signal: AbortSignal): Promise<ExportPage> {
  const admit = exportAdmission(ctx);
  for (let attempt = 1; ; attempt++) {
    const pages = ctx.appGraph.paginate({ method: 'GET', path: at, scopes: [], permissions: EXPORT_PERMISSIONS, itemSchema: AiInteractionSchema, signal, admit });
    try {
      const first = await pages.next();
      if (first.done) throw new Error('the Graph client yielded no page'); // a bug, not an answer
      // Graph sends absolute links; the client has already refused one to another origin or to the same page.
      const nextLink = first.value.nextLink ? new URL(first.value.nextLink, at).href : undefined;
      return { items: first.value.items, ...(nextLink ? { nextLink } : {}) };
    } catch (err) {
      if (!isBrokenBody(err) || attempt >= BROKEN_BODY_ATTEMPTS || signal.aborted) throw err;
      ctx.log.warn('export page had a broken body; asking again', { attempt, error: (err as Error).message });
      await backoffSleep(defaultSleep, 200 * attempt, signal, 'GET getAllEnterpriseInteractions');
    } finally {
      // Stops the client's iterator before it asks for the next page; paging is driven from here.
      await pages.return(undefined);
    }
  }
}
