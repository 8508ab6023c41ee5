import { AppError } from '../../errors.js';
import type { BatchItemResult, GraphClient } from '../client.js';
import { delegated, ROUTES } from './routes.js';
import { RetrievalResponseSchema, type RetrievalHit } from './schemas.js';

/*
 * Copilot Retrieval: POST /v1.0/copilot/retrieval, one dataSource per request; several go out as
 * one $batch (MicrosoftDocs/m365copilot-docs docs/api/ai-services/retrieval/copilotroot-retrieval.md).
 */

export const GA_RETRIEVAL_SOURCES = ['sharePoint', 'oneDriveBusiness', 'externalItem'] as const;
/**
 * beta only: SharePoint Embedded containers of one container type (m365copilot-docs@90efae84
 * docs/api/ai-services/retrieval/resources/sharepointembeddedconfiguration.md, datasourceconfiguration.md
 * graph-preview zone; the beta SDK's retrievalDataSource enum).
 */
export const BETA_RETRIEVAL_SOURCES = ['sharePointEmbedded'] as const;
export const RETRIEVAL_SOURCES = [...GA_RETRIEVAL_SOURCES, ...BETA_RETRIEVAL_SOURCES] as const;
export type RetrievalSource = (typeof RETRIEVAL_SOURCES)[number];
/** Both are needed for SharePoint and OneDrive; connectors need ExternalItem.Read.All. */
export const SHAREPOINT_SCOPES = ['Files.Read.All', 'Sites.Read.All'];
export const CONNECTOR_SCOPE = 'ExternalItem.Read.All';

export interface RetrievalQuery {
  query: string;
  source: RetrievalSource;
  /** KQL. */
  filter?: string | undefined;
  metadata: readonly string[];
  maxResults?: number | undefined;
  /** externalItem only; absent: every connection the user can read. */
  connectionIds?: readonly string[] | undefined;
  /** sharePointEmbedded only (required there). */
  containerTypeId?: string | undefined;
  /** beta: page numbers on extracts and page thumbnails on hits, where available. */
  includeThumbnails?: boolean | undefined;
}

/** Whether a query needs the beta endpoint (a beta source or a beta-only field). */
export function needsBeta(q: RetrievalQuery): boolean {
  return (BETA_RETRIEVAL_SOURCES as readonly string[]).includes(q.source) || q.includeThumbnails === true;
}

export type RetrievalOutcome = { source: RetrievalSource; hits: RetrievalHit[]; requestId?: string } | { source: RetrievalSource; error: AppError };

export function scopesFor(sources: readonly RetrievalSource[]): string[] {
  return sources.includes('externalItem') ? [...SHAREPOINT_SCOPES, CONNECTOR_SCOPE] : SHAREPOINT_SCOPES;
}

function bodyOf(q: RetrievalQuery): Record<string, unknown> {
  return {
    queryString: q.query,
    dataSource: q.source,
    ...(q.filter ? { filterExpression: q.filter } : {}),
    resourceMetadata: q.metadata,
    ...(q.maxResults ? { maximumNumberOfResults: q.maxResults } : {}),
    // dataSourceConfiguration is optional; without it Graph retrieves from every connection the user can
    // read (copilotroot-retrieval.md, Example 2). externalItemConfiguration.connections is required
    // once the configuration is sent, so it is sent only with connection ids.
    ...(q.source === 'externalItem' && q.connectionIds?.length ? { dataSourceConfiguration: { externalItem: { connections: q.connectionIds.map((connectionId) => ({ connectionId })) } } } : {}),
    ...(q.source === 'sharePointEmbedded' ? { dataSourceConfiguration: { sharePointEmbedded: { containerTypeId: q.containerTypeId } } } : {}),
    ...(q.includeThumbnails ? { includeThumbnails: true } : {}),
  };
}

const permissionsFor = (source: RetrievalSource) => delegated(source === 'externalItem' ? [CONNECTOR_SCOPE] : SHAREPOINT_SCOPES);

/**
 * Each query as its own outcome: one source alone is one request (its failure is thrown), several
 * are one $batch in which a failed source does not fail the others.
 */
export async function retrieve(graph: GraphClient, queries: readonly RetrievalQuery[], signal?: AbortSignal): Promise<RetrievalOutcome[]> {
  const scopes = scopesFor(queries.map((q) => q.source));
  // One endpoint for the whole call: beta when any query needs it (beta accepts every v1.0 body too).
  const version = queries.some(needsBeta) ? ('beta' as const) : ('v1.0' as const);
  if (queries.length === 1) {
    const q = queries[0]!;
    const { data, requestId } = await graph.request({
      method: 'POST',
      route: ROUTES.retrieval,
      path: '/copilot/retrieval',
      version,
      body: bodyOf(q),
      scopes,
      permissions: permissionsFor(q.source),
      schema: RetrievalResponseSchema,
      ...(signal ? { signal } : {}),
    });
    return [{ source: q.source, hits: data.retrievalHits, ...(requestId ? { requestId } : {}) }];
  }
  const answers = await graph.batch(
    queries.map((q) => ({ id: q.source, method: 'POST', route: ROUTES.retrieval, url: '/copilot/retrieval', body: bodyOf(q), permissions: permissionsFor(q.source) })),
    { scopes, version, ...(signal ? { signal } : {}) },
  );
  return queries.map((q) => outcomeOf(q.source, answers.get(q.source)));
}

function outcomeOf(source: RetrievalSource, answer: BatchItemResult | undefined): RetrievalOutcome {
  if (!answer) return { source, error: new AppError('BadGraphResponse', `the $batch answer had no item for ${source}`) };
  if (!answer.ok) return { source, error: answer.error };
  const parsed = RetrievalResponseSchema.safeParse(answer.body);
  if (!parsed.success)
    return {
      source,
      error: new AppError('BadGraphResponse', `Graph's answer for ${source} did not match the retrieval schema: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`),
    };
  return { source, hits: parsed.data.retrievalHits, ...(answer.requestId ? { requestId: answer.requestId } : {}) };
}
