import { canReadDocument } from '../data/access.js';
import type { EmuDocument, GraphRequest, Tenant } from '../model.js';
import { tenantCorpora } from '../search/corpus.js';
import { compileKql, type KqlPredicate, type KqlPropertyKind } from '../search/kqlEval.js';
import { documentProperty } from '../search/properties.js';
import { tokenize } from '../search/tokenize.js';
import { isLicensed, LICENCE_MESSAGE, missingScopes } from './callerPermissions.js';
import { userById, type RouteContext, type RouteHandler } from './routeContext.js';
import { replyFor, type Reply } from './graphErrorReplies.js';
import { decodeSkipToken, encodeSkipToken, queryString } from './skipTokens.js';
import { SlidingWindowBudget } from './slidingWindowBudget.js';

/** Copilot Search (beta): hybrid search over the caller's OneDrive (contract §4, §6.12). */
export const SEARCH_ROUTE = 'POST /copilot/search';
export const SEARCH_NEXT_PAGE_ROUTE = 'GET /copilot/searchNextPage';
export const SEARCH_SCOPES = ['Files.Read.All', 'Sites.Read.All'] as const;
export const MAX_SEARCH_QUERY_LENGTH = 1500;
export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
const PREVIEW_CHARS = 300;
const KNOWN_FIELDS = new Set(['query', 'pageSize', 'dataSources']);
/** Only `path:` restrictions are documented for the OneDrive filterExpression. */
const PATH_ONLY_SCHEMA: ReadonlyMap<string, KqlPropertyKind> = new Map([['path', 'path']]);

/** resourceMetadataNames the contract lists, mapped to what the emulated file knows. */
const METADATA: Record<string, (doc: EmuDocument) => string | undefined> = {
  path: (d) => d.path,
  author: (d) => d.author,
  filename: (d) => d.filename,
  filetype: (d) => d.fileType,
  title: (d) => d.title,
  id: (d) => d.id,
  driveid: (d) => (d.ownerId ? `b!${d.ownerId}` : undefined),
  siteid: (d) => d.siteId,
  listid: () => undefined,
  createdby: (d) => d.author,
  lastmodifiedtime: (d) => d.lastModifiedTime,
  modifiedby: (d) => d.modifiedBy,
};

interface SearchQuery {
  query: string;
  pageSize: number;
  filterExpression?: string;
  metadataNames: string[];
}

// Search has its own 200 calls per user per hour, separate from Retrieval's.
const budgets = new WeakMap<Tenant, SlidingWindowBudget>();
function budgetFor(ctx: RouteContext): SlidingWindowBudget {
  let budget = budgets.get(ctx.tenant);
  if (!budget) budgets.set(ctx.tenant, (budget = new SlidingWindowBudget(200, 3_600_000, ctx.clock)));
  return budget;
}

export const searchHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, SEARCH_ROUTE);
  const refused = admit(req, ctx, reply);
  if (refused) return refused;
  const parsed = parseBody(req.body);
  if (typeof parsed === 'string') return reply.error(400, 'invalidRequest', parsed);
  const filter = compileFilter(parsed.filterExpression);
  if (typeof filter === 'string') return reply.error(400, 'invalidRequest', filter);
  return reply.ok(searchPage(req, ctx, parsed, filter, 0));
};

export const searchNextPageHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, SEARCH_NEXT_PAGE_ROUTE);
  const refused = admit(req, ctx, reply);
  if (refused) return refused;
  const token = req.query.get('$skipToken') ?? req.query.get('$skiptoken');
  if (!token) return reply.error(400, 'invalidRequest', 'The $skipToken query parameter is required: follow the @odata.nextLink of the previous page.');
  const state = decodeSkipToken(token);
  const caller = req.caller as { userId: string };
  if (
    state === undefined ||
    state['k'] !== 'search' ||
    typeof state['q'] !== 'string' ||
    typeof state['n'] !== 'number' ||
    typeof state['o'] !== 'number' ||
    typeof state['m'] !== 'string' ||
    typeof state['f'] !== 'string'
  ) {
    return reply.error(400, 'invalidRequest', 'The $skipToken is not valid. Start again with POST /copilot/search.');
  }
  // A token is bound to the user it was issued to: it must not page through someone else's results.
  if (typeof state['u'] !== 'string' || state['u'].toLowerCase() !== caller.userId.toLowerCase()) {
    return reply.error(400, 'invalidRequest', 'The $skipToken was issued to another user. Start again with POST /copilot/search.');
  }
  const query: SearchQuery = {
    query: state['q'],
    pageSize: state['n'],
    ...(state['f'] ? { filterExpression: state['f'] } : {}),
    metadataNames: state['m'] ? state['m'].split('\u0001') : [],
  };
  const filter = compileFilter(query.filterExpression);
  if (typeof filter === 'string') return reply.error(400, 'invalidRequest', filter);
  return reply.ok(searchPage(req, ctx, query, filter, state['o']));
};

/** Delegated only, beta only, scopes, licence, then the hourly budget: the order a caller can act on. */
function admit(req: GraphRequest, ctx: RouteContext, reply: Reply) {
  if (req.version !== 'beta') return reply.error(400, 'BadRequest', "Resource not found for the segment 'search'. The Copilot Search API is available in beta only.");
  const caller = req.caller;
  if (caller.kind !== 'delegated') {
    return reply.error(403, 'accessDenied', 'Application permissions are not supported for the Copilot Search API. Call it with a delegated token (a signed-in user).');
  }
  const missing = missingScopes(caller, SEARCH_SCOPES);
  if (missing.length > 0) return reply.error(403, 'accessDenied', `Access denied: the token lacks the delegated permission ${missing.join(' and ')}, required by the Copilot Search API.`);
  if (!isLicensed(userById(ctx, caller.userId))) return reply.error(403, 'Forbidden', LICENCE_MESSAGE);
  const budget = budgetFor(ctx).take(caller.userId.toLowerCase());
  if (!budget.ok) {
    return reply.error(429, 'TooManyRequests', 'Please retry again later. The Search API allows a limited number of requests per user per hour.', {
      headers: { 'Retry-After': String(budget.retryAfterSeconds) },
      innerError: { code: '429', message: 'Please retry after', status: '429' },
    });
  }
  return undefined;
}

function parseBody(body: unknown): SearchQuery | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'The request body must be a JSON object with a query.';
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!KNOWN_FIELDS.has(name) && !name.startsWith('@odata.')) return `The parameter '${name}' in the request payload is not a valid parameter for the operation 'search'.`;
  }
  const query = fields['query'];
  if (query === undefined || query === null) return 'The query property is required.';
  if (typeof query !== 'string') return 'query must be a string.';
  if (query.trim().length === 0) return 'query must not be empty.';
  if (query.length > MAX_SEARCH_QUERY_LENGTH) return `query is ${query.length} characters long; the limit is ${MAX_SEARCH_QUERY_LENGTH}.`;
  const out: SearchQuery = { query, pageSize: DEFAULT_PAGE_SIZE, metadataNames: [] };
  const pageSize = fields['pageSize'];
  if (pageSize !== undefined && pageSize !== null) {
    if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) return `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}.`;
    out.pageSize = pageSize;
  }
  const sources = fields['dataSources'];
  if (sources !== undefined && sources !== null) {
    if (typeof sources !== 'object' || Array.isArray(sources)) return 'dataSources must be an object.';
    for (const key of Object.keys(sources)) if (key !== 'oneDrive') return `dataSources.${key} is not supported; only oneDrive is.`;
    const oneDrive = (sources as Record<string, unknown>)['oneDrive'];
    if (oneDrive !== undefined && oneDrive !== null) {
      if (typeof oneDrive !== 'object' || Array.isArray(oneDrive)) return 'dataSources.oneDrive must be an object.';
      const od = oneDrive as Record<string, unknown>;
      for (const key of Object.keys(od)) {
        if (key !== 'filterExpression' && key !== 'resourceMetadataNames') return `dataSources.oneDrive.${key} is not a valid property.`;
      }
      const filter = od['filterExpression'];
      if (filter !== undefined && filter !== null) {
        if (typeof filter !== 'string') return 'dataSources.oneDrive.filterExpression must be a string (KQL, path: only).';
        if (filter.trim()) out.filterExpression = filter;
      }
      const names = od['resourceMetadataNames'];
      if (names !== undefined && names !== null) {
        if (!Array.isArray(names) || !names.every((n): n is string => typeof n === 'string')) return 'dataSources.oneDrive.resourceMetadataNames must be an array of strings.';
        const unknown = names.filter((n) => !Object.hasOwn(METADATA, n.toLowerCase()));
        if (unknown.length > 0) return `resourceMetadataNames: '${unknown[0]}' is not supported. Use any of: ${Object.keys(METADATA).join(', ')}.`;
        out.metadataNames = names;
      }
    }
  }
  return out;
}

function compileFilter(expression: string | undefined): KqlPredicate | undefined | string {
  if (expression === undefined) return undefined;
  const compiled = compileKql(expression, PATH_ONLY_SCHEMA);
  return compiled.ok ? compiled.test : `filterExpression is not supported: only path: restrictions are allowed for OneDrive (${compiled.reason}).`;
}

/** Every readable OneDrive file matching the query, best first; ties in tenant order so pages are stable. */
export function rankOneDrive(tenant: Tenant, userId: string, query: string, filter: KqlPredicate | undefined): { doc: EmuDocument; preview: string; score: number }[] {
  const corpus = tenantCorpora(tenant).documents;
  const sitesById = new Map(tenant.sites.map((s) => [s.id, s]));
  const terms = tokenize(query);
  const admitted = new Map<number, boolean>();
  const best = new Map<number, { chunk: number; score: number }>();
  for (const [passage, score] of corpus.index.score(terms)) {
    if (score <= 0) continue;
    const itemIndex = corpus.owner[passage] as number;
    let ok = admitted.get(itemIndex);
    if (ok === undefined) {
      const doc = corpus.items[itemIndex] as EmuDocument;
      ok = doc.source === 'oneDriveBusiness' && canReadDocument(sitesById, userId, doc) && (filter === undefined || filter((name) => documentProperty(doc, name)));
      admitted.set(itemIndex, ok);
    }
    if (!ok) continue;
    const current = best.get(itemIndex);
    if (!current || score > current.score) best.set(itemIndex, { chunk: corpus.chunk[passage] as number, score });
  }
  return [...best.entries()]
    .sort(([ia, a], [ib, b]) => b.score - a.score || ia - ib)
    .map(([itemIndex, { chunk, score }]) => {
      const doc = corpus.items[itemIndex] as EmuDocument;
      const text = doc.chunks[chunk] ?? '';
      return { doc, score, preview: text.length <= PREVIEW_CHARS ? text : `${text.slice(0, PREVIEW_CHARS - 1)}…` };
    });
}

function searchPage(req: GraphRequest, ctx: RouteContext, query: SearchQuery, filter: KqlPredicate | undefined, offset: number): Record<string, unknown> {
  const userId = (req.caller as { userId: string }).userId;
  const ranked = rankOneDrive(ctx.tenant, userId, query.query, filter);
  const page = ranked.slice(offset, offset + query.pageSize);
  const next = offset + query.pageSize;
  const body: Record<string, unknown> = {};
  if (next < ranked.length) {
    const token = encodeSkipToken({ k: 'search', u: userId, q: query.query, n: query.pageSize, o: next, f: query.filterExpression ?? '', m: query.metadataNames.join('\u0001') });
    body['@odata.nextLink'] = `${req.baseUrl}/beta/copilot/searchNextPage?${queryString([['$skipToken', token]])}`;
  }
  body['totalCount'] = ranked.length;
  body['searchHits'] = page.map(({ doc, preview }) => {
    const resourceMetadata: Record<string, string> = {};
    for (const name of query.metadataNames) {
      const value = Object.hasOwn(METADATA, name.toLowerCase()) ? METADATA[name.toLowerCase()]?.(doc) : undefined;
      if (value !== undefined) resourceMetadata[name] = value;
    }
    return { webUrl: doc.webUrl, preview, resourceType: 'driveItem', resourceMetadata };
  });
  return body;
}
