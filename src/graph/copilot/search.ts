import * as z from 'zod';
import type { GraphClient } from '../client.js';
import { delegated, ROUTES } from './routes.js';

/*
 * Copilot Search (beta): POST /beta/copilot/search over the user's OneDrive, later pages by the link
 * it returns (MicrosoftDocs/m365copilot-docs docs/api/ai-services/search/copilotroot-search.md).
 */

export const SEARCH_SCOPES = ['Files.Read.All', 'Sites.Read.All'];

const SearchResponseSchema = z.looseObject({
  '@odata.nextLink': z.string().nullish(),
  // The SDK serializes the link as nextLink (contract §7.21); accept either.
  nextLink: z.string().nullish(),
  totalCount: z.number().nullish(),
  searchHits: z
    .array(
      z.looseObject({
        webUrl: z.string(),
        preview: z.string().nullish(),
        resourceType: z.string().nullish(),
        resourceMetadata: z.record(z.string(), z.unknown()).nullish(),
      }),
    )
    .nullish(),
});
export type SearchResponse = z.output<typeof SearchResponseSchema>;

export interface SearchQuery {
  query: string;
  pageSize?: number | undefined;
  /** A OneDrive folder URL: only files under it. */
  folder?: string | undefined;
}

const common = { version: 'beta' as const, scopes: SEARCH_SCOPES, permissions: delegated(SEARCH_SCOPES), schema: SearchResponseSchema };

export async function searchOneDrive(graph: GraphClient, q: SearchQuery, signal?: AbortSignal): Promise<SearchResponse> {
  const { data } = await graph.request({
    ...common,
    method: 'POST',
    route: ROUTES.search,
    path: '/copilot/search',
    body: {
      query: q.query,
      ...(q.pageSize ? { pageSize: q.pageSize } : {}),
      dataSources: {
        oneDrive: {
          ...(q.folder ? { filterExpression: `path:"${q.folder.replace(/"/g, '')}"` } : {}),
          resourceMetadataNames: ['title', 'author', 'lastModifiedTime'],
        },
      },
    },
    ...(signal ? { signal } : {}),
  });
  return data;
}

/** A later page, by Graph's own link, followed as given (the client refuses another origin). */
export async function searchNextPage(graph: GraphClient, next: URL, signal?: AbortSignal): Promise<SearchResponse> {
  const { data } = await graph.request({ ...common, method: 'GET', route: ROUTES.searchNextPage, path: next, ...(signal ? { signal } : {}) });
  return data;
}

/** Graph's sources disagree on the link's name (the docs: @odata.nextLink; the metadata: nextLink): either is the next page. */
export function nextPageLink(page: SearchResponse): string | undefined {
  return page['@odata.nextLink'] ?? page.nextLink ?? undefined;
}
