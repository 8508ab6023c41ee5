import type { GraphRequest } from '../model.js';
import { retrieve, type RetrievalDataSource, type RetrievalRequestBody } from '../search/retrievalQuery.js';
import { isLicensed, LICENCE_MESSAGE, missingScopes } from './callerPermissions.js';
import { userById, type RouteHandler } from './routeContext.js';
import { replyFor } from './graphErrorReplies.js';

export const RETRIEVAL_ROUTE = 'POST /copilot/retrieval';
export const MAX_QUERY_LENGTH = 1500;
export const MAX_RESULTS = 25;

const DATA_SOURCES: readonly RetrievalDataSource[] = ['sharePoint', 'oneDriveBusiness', 'externalItem'];
/**
 * beta adds sharePointEmbedded (MicrosoftDocs/m365copilot-docs@90efae84 docs/api/ai-services/retrieval/
 * resources/datasourceconfiguration.md and sharepointembeddedconfiguration.md, graph-preview zone;
 * the beta SDK's retrievalDataSource enum). Its permissions are not documented apart: the page's
 * SharePoint ones apply.
 */
const BETA_DATA_SOURCES: readonly RetrievalDataSource[] = [...DATA_SOURCES, 'sharePointEmbedded'];
const KNOWN_FIELDS = new Set(['queryString', 'dataSource', 'dataSourceConfiguration', 'filterExpression', 'resourceMetadata', 'maximumNumberOfResults']);

const REQUIRED_SCOPES: Record<RetrievalDataSource, readonly string[]> = {
  sharePoint: ['Files.Read.All', 'Sites.Read.All'],
  oneDriveBusiness: ['Files.Read.All', 'Sites.Read.All'],
  externalItem: ['ExternalItem.Read.All'],
  sharePointEmbedded: ['Files.Read.All', 'Sites.Read.All'],
};

/**
 * Checks in the order a caller can act on them: who is calling, what the body asks for, the
 * scopes for that source, the licence, the hourly budget, then the rest of the body.
 */
export const retrievalHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, RETRIEVAL_ROUTE);
  const caller = req.caller;
  if (caller.kind !== 'delegated') {
    return reply.error(403, 'accessDenied', 'Application permissions are not supported for the Copilot Retrieval API. Call it with a delegated token (a signed-in user).');
  }
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return reply.error(400, 'invalidRequest', 'The request body must be a JSON object with queryString and dataSource.');
  }
  const fields = body as Record<string, unknown>;
  const dataSource = fields['dataSource'];
  const sources = req.version === 'beta' ? BETA_DATA_SOURCES : DATA_SOURCES;
  if (dataSource === undefined || dataSource === null) {
    return reply.error(400, 'invalidRequest', `The dataSource property is required. Use one of: ${sources.join(', ')}.`);
  }
  if (typeof dataSource !== 'string' || !(sources as readonly string[]).includes(dataSource)) {
    return reply.error(400, 'invalidRequest', `'${String(dataSource)}' is not a supported dataSource. Use one of: ${sources.join(', ')} (one per request; use $batch for several).`);
  }
  const source = dataSource as RetrievalDataSource;
  const missing = missingScopes(caller, REQUIRED_SCOPES[source]);
  if (missing.length > 0) {
    return reply.error(403, 'accessDenied', `Access denied: the token lacks the delegated permission ${missing.join(' and ')}, required to retrieve from ${source}.`);
  }
  if (!isLicensed(userById(ctx, caller.userId))) return reply.error(403, 'Forbidden', LICENCE_MESSAGE);

  const budget = ctx.retrievalBudget.take(caller.userId.toLowerCase());
  if (!budget.ok) {
    return reply.error(429, 'TooManyRequests', 'Please retry again later. The Retrieval API allows a limited number of requests per user per hour.', {
      headers: { 'Retry-After': String(budget.retryAfterSeconds) },
      innerError: { code: '429', message: 'Please retry after', status: '429' },
    });
  }

  const parsed = parseBody(fields, source, req);
  if (typeof parsed === 'string') return reply.error(400, 'invalidRequest', parsed);
  // An unknown connection is a caller mistake worth naming, not an empty result.
  const unknown = parsed.dataSourceConfiguration?.externalItem?.connections.filter((c) => !ctx.tenant.connections.some((k) => k.id === c.connectionId)) ?? [];
  if (unknown.length > 0) {
    return reply.error(400, 'invalidRequest', `Connection(s) not found in this tenant: ${unknown.map((c) => c.connectionId).join(', ')}.`);
  }
  return reply.ok(retrieve(ctx.tenant, caller.userId, parsed));
};

/** The validated body, or the message of a 400. */
function parseBody(fields: Record<string, unknown>, dataSource: RetrievalDataSource, req: GraphRequest): RetrievalRequestBody | string {
  for (const name of Object.keys(fields)) {
    const betaOnly = name === 'includeThumbnails' && req.version === 'beta';
    if (!KNOWN_FIELDS.has(name) && !betaOnly && !name.startsWith('@odata.')) {
      return `The parameter '${name}' in the request payload is not a valid parameter for the operation 'retrieval'.`;
    }
  }
  if (fields['includeThumbnails'] !== undefined && typeof fields['includeThumbnails'] !== 'boolean') return 'includeThumbnails must be a boolean.';
  const includeThumbnails = fields['includeThumbnails'] === true;

  const queryString = fields['queryString'];
  if (queryString === undefined || queryString === null) return 'The queryString property is required.';
  if (typeof queryString !== 'string') return 'queryString must be a string.';
  if (queryString.trim().length === 0) return 'queryString must not be empty.';
  if (queryString.length > MAX_QUERY_LENGTH) return `queryString is ${queryString.length} characters long; the limit is ${MAX_QUERY_LENGTH}.`;

  const body: RetrievalRequestBody = { queryString, dataSource, ...(includeThumbnails ? { includeThumbnails } : {}) };

  const max = fields['maximumNumberOfResults'];
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_RESULTS) {
      return `maximumNumberOfResults must be an integer from 1 to ${MAX_RESULTS}.`;
    }
    body.maximumNumberOfResults = max;
  }

  const filter = fields['filterExpression'];
  if (filter !== undefined && filter !== null) {
    if (typeof filter !== 'string') return 'filterExpression must be a string (KQL).';
    body.filterExpression = filter;
  }

  const metadata = fields['resourceMetadata'];
  if (metadata !== undefined && metadata !== null) {
    if (!Array.isArray(metadata) || !metadata.every((m): m is string => typeof m === 'string')) return 'resourceMetadata must be an array of strings.';
    body.resourceMetadata = metadata;
  }

  const config = fields['dataSourceConfiguration'];
  if (config !== undefined && config !== null) {
    const parsed = parseConfiguration(config, req.version === 'beta');
    if (typeof parsed === 'string') return parsed;
    if (parsed.externalItem || parsed.sharePointEmbedded) body.dataSourceConfiguration = parsed;
  }
  return body;
}

function parseConfiguration(config: unknown, beta: boolean): NonNullable<RetrievalRequestBody['dataSourceConfiguration']> | string {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return 'dataSourceConfiguration must be an object.';
  const entries = config as Record<string, unknown>;
  const known = beta ? ['externalItem', 'sharePointEmbedded'] : ['externalItem'];
  for (const key of Object.keys(entries)) {
    if (!known.includes(key) && !key.startsWith('@odata.')) return `dataSourceConfiguration.${key} is not supported; only ${known.join(' and ')} ${known.length > 1 ? 'are' : 'is'}.`;
  }
  const embedded = entries['sharePointEmbedded'];
  if (embedded !== undefined && embedded !== null) {
    const id = typeof embedded === 'object' && !Array.isArray(embedded) ? (embedded as Record<string, unknown>)['containerTypeId'] : undefined;
    if (typeof id !== 'string' || id.trim() === '') return 'dataSourceConfiguration.sharePointEmbedded.containerTypeId must be a container type id string.';
    return { sharePointEmbedded: { containerTypeId: id } };
  }
  const external = entries['externalItem'];
  if (external === undefined || external === null) return {};
  if (typeof external !== 'object' || Array.isArray(external)) return 'dataSourceConfiguration.externalItem must be an object.';
  const connections = (external as Record<string, unknown>)['connections'];
  if (!Array.isArray(connections) || connections.length === 0) {
    return 'dataSourceConfiguration.externalItem.connections is required: a non-empty array of { connectionId }.';
  }
  const out: { connectionId: string }[] = [];
  for (const c of connections) {
    const id = typeof c === 'object' && c !== null ? (c as Record<string, unknown>)['connectionId'] : undefined;
    if (typeof id !== 'string' || id.trim() === '') return 'Each entry of dataSourceConfiguration.externalItem.connections needs a connectionId string.';
    out.push({ connectionId: id });
  }
  return { externalItem: { connections: out } };
}
