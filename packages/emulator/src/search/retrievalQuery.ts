import { canReadDocument, canReadExternalItem } from '../data/access.js';
import type { EmuDocument, EmuExternalItem, EmuLabel, Tenant } from '../model.js';
import { tenantCorpora, type Corpus } from './corpus.js';
import { compileKql, SHAREPOINT_KQL_SCHEMA, type KqlPredicate, type KqlPropertyKind } from './kqlEval.js';
import { documentProperty, externalItemProperty } from './properties.js';
import { tokenize } from './tokenize.js';

export type RetrievalDataSource = 'sharePoint' | 'oneDriveBusiness' | 'externalItem' | 'sharePointEmbedded';

/** A request body the Graph route has already validated (contract §1.3). */
export interface RetrievalRequestBody {
  queryString: string;
  dataSource: RetrievalDataSource;
  filterExpression?: string;
  resourceMetadata?: string[];
  maximumNumberOfResults?: number;
  dataSourceConfiguration?: { externalItem?: { connections: { connectionId: string }[] }; sharePointEmbedded?: { containerTypeId: string } };
  /** beta: page numbers on extracts and page thumbnails on hits. */
  includeThumbnails?: boolean;
}

export interface RetrievalExtract {
  text: string;
  relevanceScore?: number;
  pageNumbers?: number[];
}

export interface RetrievalThumbnail {
  pageNumber: number;
  content: string;
  mediaType: string;
}

export interface RetrievalSensitivityLabel {
  sensitivityLabelId: string;
  displayName: string;
  tooltip: string;
  priority: number;
  color: string;
}

export interface RetrievalHit {
  webUrl: string;
  extracts: RetrievalExtract[];
  resourceType: 'listItem' | 'externalItem';
  resourceMetadata: Record<string, string>;
  sensitivityLabel?: RetrievalSensitivityLabel;
  thumbnails?: RetrievalThumbnail[];
}

export interface RetrievalResponse {
  retrievalHits: RetrievalHit[];
}

export const DEFAULT_MAX_RESULTS = 25;

/** Names `resourceMetadata` may ask for on SharePoint and OneDrive hits (matched case-insensitively). */
const DOCUMENT_METADATA = new Set(['title', 'author', 'filename', 'fileextension', 'filetype', 'lastmodifiedtime', 'modifiedby', 'path', 'siteid', 'createdtime']);

/**
 * Lexical retrieval as the caller: only items the caller may read are ever scored, so no extract
 * of an unreadable file can leak. An invalid filter is ignored (the service's silent fallback).
 */
export function retrieve(tenant: Tenant, userId: string, body: RetrievalRequestBody): RetrievalResponse {
  const limit = body.maximumNumberOfResults ?? DEFAULT_MAX_RESULTS;
  const terms = tokenize(body.queryString);
  const corpora = tenantCorpora(tenant);
  const requested = body.resourceMetadata ?? [];

  // The emulated tenant has no SharePoint Embedded containers: a valid request finds nothing.
  if (body.dataSource === 'sharePointEmbedded') return { retrievalHits: [] };

  if (body.dataSource === 'externalItem') {
    const wanted = body.dataSourceConfiguration?.externalItem?.connections.map((c) => c.connectionId.toLowerCase());
    const connections = tenant.connections.filter((c) => wanted === undefined || wanted.includes(c.id.toLowerCase()));
    const connectionIds = new Set(connections.map((c) => c.id));
    const schema = new Map<string, KqlPropertyKind>();
    for (const c of connections) for (const p of c.queryableProperties) schema.set(p.toLowerCase(), 'text');
    const filter = compileFilter(body.filterExpression, schema);
    const hits = rank(corpora.externalItems, terms, limit, (item) =>
      connectionIds.has(item.connectionId) &&
      canReadExternalItem(userId, item) &&
      (filter === undefined || filter((name) => externalItemProperty(item, name))),
    );
    return {
      retrievalHits: hits.map(({ item, extracts }) => ({
        webUrl: item.webUrl,
        // Connector extracts may lack a score (contract §1.4): the second one never has one here.
        extracts: extracts.map((e, i) => (i === 0 ? { text: e.text, relevanceScore: e.relevanceScore } : { text: e.text })),
        resourceType: 'externalItem',
        resourceMetadata: metadata(requested, (name) => externalItemProperty(item, name)),
      })),
    };
  }

  const source = body.dataSource;
  const sitesById = new Map(tenant.sites.map((s) => [s.id, s]));
  const labelsById = new Map(tenant.labels.map((l) => [l.id, l]));
  const filter = compileFilter(body.filterExpression, SHAREPOINT_KQL_SCHEMA);
  const hits = rank(corpora.documents, terms, limit, (doc) =>
    doc.source === source &&
    canReadDocument(sitesById, userId, doc) &&
    (filter === undefined || filter((name) => documentProperty(doc, name))),
  );
  return {
    retrievalHits: hits.map(({ item, extracts }) => {
      const label = item.labelId === undefined ? undefined : labelsById.get(item.labelId);
      const hit: RetrievalHit = {
        webUrl: item.webUrl,
        extracts: extracts.map(({ page, ...e }) => (body.includeThumbnails ? { ...e, pageNumbers: [page] } : e)),
        resourceType: 'listItem',
        resourceMetadata: metadata(requested, (name) => (DOCUMENT_METADATA.has(name) ? documentProperty(item, name) : undefined)),
      };
      if (label) hit.sensitivityLabel = labelInfo(label);
      // One thumbnail per page an extract is on, once (copilotroot-retrieval.md: includeThumbnails).
      if (body.includeThumbnails) hit.thumbnails = [...new Set(extracts.map((e) => e.page))].sort((a, b) => a - b).map((pageNumber) => ({ pageNumber, content: PAGE_THUMBNAIL, mediaType: 'image/png' }));
      return hit;
    }),
  };
}

function compileFilter(expression: string | undefined, schema: ReadonlyMap<string, KqlPropertyKind>): KqlPredicate | undefined {
  if (expression === undefined || expression.trim() === '') return undefined;
  const compiled = compileKql(expression, schema);
  return compiled.ok ? compiled.test : undefined;
}

/** A passage of a document is modelled as one page of it (pages are numbered from 1). */
interface RankedItem<T> {
  item: T;
  extracts: (RetrievalExtract & { page: number })[];
}

/** A 1×1 grey PNG, base64: the emulator renders no pages. */
const PAGE_THUMBNAIL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==';

/** Item score = its best passage (BM25 weighted by query coverage); extracts = its best one or two passages scoring above zero. */
function rank<T extends EmuDocument | EmuExternalItem>(corpus: Corpus<T>, terms: readonly string[], limit: number, allowed: (item: T) => boolean): RankedItem<T>[] {
  const max = corpus.index.maxScore(terms);
  if (max <= 0) return [];
  const admitted = new Map<number, boolean>();
  const best = new Map<number, { first: [number, number]; second?: [number, number] }>();
  for (const [passage, score] of corpus.index.coverageScore(terms)) {
    if (score <= 0) continue;
    const itemIndex = corpus.owner[passage] as number;
    let ok = admitted.get(itemIndex);
    if (ok === undefined) {
      ok = allowed(corpus.items[itemIndex] as T);
      admitted.set(itemIndex, ok);
    }
    if (!ok) continue;
    const entry: [number, number] = [corpus.chunk[passage] as number, score];
    const current = best.get(itemIndex);
    if (!current) best.set(itemIndex, { first: entry });
    else if (score > current.first[1]) best.set(itemIndex, { first: entry, second: current.first });
    else if (!current.second || score > current.second[1]) current.second = entry;
  }
  return [...best.entries()]
    .sort(([ia, a], [ib, b]) => b.first[1] - a.first[1] || ia - ib)
    .slice(0, limit)
    .map(([itemIndex, { first, second }]) => {
      const item = corpus.items[itemIndex] as T;
      const extract = ([chunk, score]: [number, number]) => ({
        text: item.chunks[chunk] as string,
        relevanceScore: Math.min(1, score / max),
        page: chunk + 1,
      });
      return { item, extracts: second ? [extract(first), extract(second)] : [extract(first)] };
    });
}

/** Only what was asked for, keyed as the caller spelled it; `{}` when nothing was asked. */
function metadata(requested: readonly string[], read: (lowercaseName: string) => string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of requested) {
    const value = read(name.toLowerCase());
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function labelInfo(label: EmuLabel): RetrievalSensitivityLabel {
  return { sensitivityLabelId: label.id, displayName: label.displayName, tooltip: label.tooltip, priority: label.priority, color: label.color };
}
