import type { GraphClient } from '../client.js';
import { normaliseBaseUrl, resolveGraphUrl } from '../url.js';
import { ROUTES } from './routes.js';
import { AiInteractionSchema, type AiInteraction } from './schemas.js';

/*
 * Interaction export: GET /v1.0/copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions,
 * app-only (AiEnterpriseInteraction.Read.All), paged by @odata.nextLink
 * (MicrosoftDocs/m365copilot-docs docs/api/ai-services/interaction-export/aiinteractionhistory-getallenterpriseinteractions.md).
 * Its rate limit (30 requests/s per app and tenant) and the retry of a broken page are policies of
 * this route in the Graph chain (composition/graphClients.ts), not of the callers.
 */

export const PAGE_SIZE = 100; // the value Graph recommends for this API
export const EXPORT_PERMISSIONS = ['AiEnterpriseInteraction.Read.All (application)'];

export interface ExportPage {
  items: AiInteraction[];
  /** Absolute URL of the next page; absent on the last page. */
  nextLink?: string;
}

export function exportPath(userId: string): string {
  return `/copilot/users/${encodeURIComponent(userId)}/interactionHistory/getAllEnterpriseInteractions`;
}

/** The absolute URL of one user's first export page, the form every later page (a nextLink) has too. */
export function firstPageUrl(graphBaseUrl: string, userId: string, filter: string | undefined): URL {
  const query = new URLSearchParams({ $top: String(PAGE_SIZE) });
  if (filter) query.set('$filter', filter);
  return resolveGraphUrl(normaliseBaseUrl(graphBaseUrl), `${exportPath(userId)}?${query.toString().replace(/\+/g, '%20')}`, 'v1.0', undefined);
}

/** One page by its URL (the first page's, or a nextLink): the caller drives paging, so it can stop between pages. */
export async function fetchExportPage(appGraph: GraphClient, at: URL, signal: AbortSignal): Promise<ExportPage> {
  const pages = appGraph.paginate({ method: 'GET', route: ROUTES.exportInteractions, path: at, scopes: [], permissions: EXPORT_PERMISSIONS, itemSchema: AiInteractionSchema, signal });
  try {
    const first = await pages.next();
    if (first.done) throw new Error('the Graph client yielded no page'); // a bug, not an answer
    // Graph sends absolute links; the client has already refused one to another origin or to the same page.
    const nextLink = first.value.nextLink ? new URL(first.value.nextLink, at).href : undefined;
    return { items: first.value.items, ...(nextLink ? { nextLink } : {}) };
  } finally {
    // Stops the client's iterator before it asks for the next page.
    await pages.return(undefined);
  }
}
