import type { EmuInteraction } from '../model.js';
import { hasAnyRole, isLicensed } from './callerPermissions.js';
import { odataContext, userById, type RouteHandler } from './routeContext.js';
import { replyFor } from './graphErrorReplies.js';
import { compileExportFilter, ExportFilterError, type InteractionPredicate } from './exportFilter.js';
import { renderInteraction } from './exportRender.js';
import { decodeSkipToken, encodeSkipToken, queryString } from './skipTokens.js';

export const EXPORT_ROUTE = 'GET /copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions';
export const EXPORT_DEFAULT_TOP = 10;
export const EXPORT_MAX_TOP = 100;
const ROLE = 'AiEnterpriseInteraction.Read.All';
const UNSUPPORTED_OPTIONS = ['$orderby', '$skip', '$search', '$expand'];

/**
 * One user's Copilot interactions, oldest first. The skip token holds the id (epoch ms, unique and
 * ascending per user) of the last item served, so pages never overlap or leave gaps.
 */
export const exportHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, EXPORT_ROUTE);
  if (req.caller.kind !== 'app') {
    return reply.error(403, 'accessDenied', `Delegated permissions are not supported for getAllEnterpriseInteractions. Use an application token with the ${ROLE} application permission.`);
  }
  if (!hasAnyRole(req.caller, [ROLE])) {
    return reply.error(403, 'accessDenied', `Access denied: the application needs the ${ROLE} application permission (admin consent required).`);
  }
  const pathId = params['id'] ?? '';
  const user = userById(ctx, pathId);
  if (!user) return reply.error(404, 'NotFound', `User '${pathId}' was not found. Use the user's Entra object id (GUID).`);

  for (const option of UNSUPPORTED_OPTIONS) {
    if (req.query.has(option)) return reply.error(400, 'BadRequest', `The query option ${option} is not supported by getAllEnterpriseInteractions. Use $filter, $top and @odata.nextLink.`);
  }
  const topText = req.query.get('$top');
  let top = EXPORT_DEFAULT_TOP;
  if (topText !== null) {
    top = /^\d+$/.test(topText.trim()) ? Number(topText) : Number.NaN;
    if (!Number.isInteger(top) || top < 1 || top > EXPORT_MAX_TOP) {
      return reply.error(400, 'BadRequest', `$top must be an integer from 1 to ${EXPORT_MAX_TOP} (got '${topText}').`);
    }
  }
  const filterText = req.query.get('$filter') ?? undefined;
  let filter: InteractionPredicate | undefined;
  if (filterText !== undefined) {
    try {
      filter = compileExportFilter(filterText);
    } catch (err) {
      if (err instanceof ExportFilterError) return reply.error(400, 'BadRequest', `Invalid $filter: ${err.message}`);
      throw err;
    }
  }
  let after: number | undefined;
  const token = req.query.get('$skiptoken');
  if (token !== null) {
    const state = decodeSkipToken(token);
    const afterId = state?.['after'];
    if (typeof afterId !== 'string' || !/^\d+$/.test(afterId) || state?.['u'] !== user.id) {
      return reply.error(400, 'BadRequest', 'The $skiptoken is not valid for this request. Follow @odata.nextLink exactly as returned.');
    }
    after = Number(afterId);
  }

  const context = odataContext(req, 'Collection(microsoft.graph.aiInteraction)');
  // Users without a licence have nothing exportable: an empty collection, not an error.
  const records = isLicensed(user) ? (ctx.tenant.interactions.get(user.id) ?? []) : [];
  const page = collectPage(records, after, top, filter);
  const body: Record<string, unknown> = { '@odata.context': context };
  if (page.more) {
    const last = page.items[page.items.length - 1] as EmuInteraction;
    const query = queryString([
      ['$filter', filterText],
      ['$top', String(top)],
      ['$skiptoken', encodeSkipToken({ u: user.id, after: last.id })],
    ]);
    body['@odata.nextLink'] = `${req.baseUrl}/${req.version}/copilot/users/${user.id}/interactionHistory/getAllEnterpriseInteractions?${query}`;
  }
  body['value'] = page.items.map((r) => renderInteraction(r, ctx.tenant.id, ctx.usersById));
  return reply.ok(body);
};

function collectPage(records: readonly EmuInteraction[], after: number | undefined, top: number, filter: InteractionPredicate | undefined): { items: EmuInteraction[]; more: boolean } {
  const items: EmuInteraction[] = [];
  for (let i = after === undefined ? 0 : firstAfter(records, after); i < records.length; i++) {
    const record = records[i] as EmuInteraction;
    if (filter && !filter(record, Date.parse(record.createdDateTime))) continue;
    if (items.length === top) return { items, more: true };
    items.push(record);
  }
  return { items, more: false };
}

/** Index of the first record whose id (epoch ms) is greater than `after`. */
function firstAfter(records: readonly EmuInteraction[], after: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Number((records[mid] as EmuInteraction).id) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
