import type { GraphRequest, GraphResponse, Tenant } from '../model.js';
import { tenantCorpora } from '../search/corpus.js';
import { batchHandler } from './batchEndpoint.js';
import { calendarViewHandler } from './calendarEndpoint.js';
import { connectionsHandler } from './connectionsEndpoint.js';
import { chatHandler, chatOverStreamHandler, createConversationHandler } from './chatEndpoint.js';
import { applicationHandler, applicationUpdateHandler } from './applicationsEndpoint.js';
import { grantCreateHandler, grantsHandler, grantUpdateHandler, servicePrincipalHandler, servicePrincipalOf } from './permissionGrantsEndpoint.js';
import { appRoleAssignmentCreateHandler, appRoleAssignmentListHandler, userAppRoleAssignmentCreateHandler } from './appRoleAssignmentsEndpoint.js';
import { addPasswordHandler, applicationCreateHandler, applicationListHandler, servicePrincipalCreateHandler } from './appRegistrationEndpoint.js';
import type { RouteContext, RouteHandler, RouteParams } from './routeContext.js';
import { graphError } from './graphErrorReplies.js';
import { exportHandler } from './exportEndpoint.js';
import { insightGetHandler, insightsListHandler } from './insightsEndpoint.js';
import { onlineMeetingHandler, onlineMeetingsHandler } from './onlineMeetingsEndpoint.js';
import { retrievalHandler } from './retrievalEndpoint.js';
import { searchHandler, searchNextPageHandler } from './searchEndpoint.js';
import { SlidingWindowBudget } from './slidingWindowBudget.js';
import { usageReportRoute } from './usageReportsEndpoint.js';
import { meHandler, userHandler } from './usersEndpoint.js';
import { licenseDetailsHandler } from './licenseDetailsEndpoint.js';

export interface GraphRouterOptions {
  /** Retrieval calls per user per hour before 429 (the service documents 200). */
  retrievalBudgetPerHour?: number;
  /** Milliseconds since the epoch; decides insight availability, throttling windows and error dates. */
  clock?: () => number;
}

interface Route {
  method: string;
  /** Path template; `{name}` captures a segment, a trailing `()` marks an OData function. */
  template: string;
  match(segments: readonly string[]): RouteParams | undefined;
  handle: RouteHandler;
}

/**
 * Literal segments compare case-insensitively (Graph's docs themselves mix cases), and an OData
 * function segment may be written with or without `()`.
 */
function segmentMatches(pattern: string, segment: string): boolean {
  const s = segment.toLowerCase();
  if (pattern.endsWith('()')) {
    const name = pattern.slice(0, -2).toLowerCase();
    return s === name || s === `${name}()`;
  }
  return s === pattern.toLowerCase();
}

function templateRoute(method: string, template: string, handle: RouteHandler): Route {
  const patterns = template.split('/').filter((p) => p.length > 0);
  return {
    method,
    template,
    handle,
    match(segments) {
      if (segments.length !== patterns.length) return undefined;
      const params: Record<string, string> = {};
      for (let i = 0; i < patterns.length; i++) {
        const pattern = patterns[i] as string;
        const segment = segments[i] as string;
        if (pattern.startsWith('{')) params[pattern.slice(1, -1)] = segment;
        else if (!segmentMatches(pattern, segment)) return undefined;
      }
      return params;
    },
  };
}

/**
 * Meeting and insight ids are opaque base64 and may contain '/' once percent-decoded, so these
 * routes anchor on the fixed segments at both ends instead of counting segments.
 */
function insightsRoute(withInsightId: boolean, handle: RouteHandler): Route {
  const template = `/copilot/users/{userId}/onlineMeetings/{meetingId}/aiInsights${withInsightId ? '/{insightId}' : ''}`;
  return {
    method: 'GET',
    template,
    handle,
    match(segments) {
      const tail = withInsightId ? 2 : 1;
      if (segments.length < 5 + tail) return undefined;
      if (!segmentMatches('copilot', segments[0] as string) || !segmentMatches('users', segments[1] as string) || !segmentMatches('onlineMeetings', segments[3] as string)) return undefined;
      const marker = segments.length - tail;
      if (!segmentMatches('aiInsights', segments[marker] as string)) return undefined;
      const params: Record<string, string> = { userId: segments[2] as string, meetingId: segments.slice(4, marker).join('/') };
      if (withInsightId) params['insightId'] = segments.slice(marker + 1).join('/');
      return params;
    },
  };
}

/** `/applications(appId='{appId}')`: Graph's alternate key, one segment the template matcher cannot split. */
function byAppIdRoute(collection: string, method: string, handle: RouteHandler): Route {
  const pattern = new RegExp(`^${collection}\\(appId='([^']+)'\\)$`, 'i');
  return {
    method,
    template: `/${collection}(appId='{appId}')`,
    handle,
    match(segments) {
      if (segments.length !== 1) return undefined;
      const found = pattern.exec(segments[0] as string);
      return found ? { appId: found[1] as string } : undefined;
    },
  };
}

const ROUTES: readonly Route[] = [
  templateRoute('POST', '/copilot/retrieval', retrievalHandler),
  templateRoute('POST', '/$batch', batchHandler),
  // Beta only (the handlers answer v1.0 as Graph does); the SDK's namespaced action names work too.
  templateRoute('POST', '/copilot/search', searchHandler),
  templateRoute('GET', '/copilot/searchNextPage', searchNextPageHandler),
  templateRoute('POST', '/copilot/conversations', createConversationHandler),
  templateRoute('POST', '/copilot/conversations/{id}/chat', chatHandler),
  templateRoute('POST', '/copilot/conversations/{id}/microsoft.graph.copilot.chat', chatHandler),
  templateRoute('POST', '/copilot/conversations/{id}/chatOverStream', chatOverStreamHandler),
  templateRoute('POST', '/copilot/conversations/{id}/microsoft.graph.copilot.chatOverStream', chatOverStreamHandler),
  templateRoute('GET', '/copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions()', exportHandler),
  insightsRoute(false, insightsListHandler),
  insightsRoute(true, insightGetHandler),
  usageReportRoute,
  templateRoute('GET', '/me/onlineMeetings', onlineMeetingsHandler),
  templateRoute('GET', '/me/onlineMeetings/{meetingId}', onlineMeetingHandler),
  templateRoute('GET', '/me/calendarView', calendarViewHandler),
  templateRoute('GET', '/external/connections', connectionsHandler),
  templateRoute('GET', '/me', meHandler),
  templateRoute('GET', '/me/licenseDetails', licenseDetailsHandler),
  templateRoute('GET', '/users/{id}', userHandler),
  templateRoute('POST', '/users/{id}/appRoleAssignments', userAppRoleAssignmentCreateHandler),
  byAppIdRoute('applications', 'GET', applicationHandler),
  byAppIdRoute('applications', 'PATCH', applicationUpdateHandler),
  templateRoute('PATCH', '/applications/{id}', applicationUpdateHandler),
  templateRoute('GET', '/applications', applicationListHandler),
  templateRoute('POST', '/applications', applicationCreateHandler),
  templateRoute('POST', '/applications/{id}/addPassword', addPasswordHandler),
  byAppIdRoute('servicePrincipals', 'GET', servicePrincipalHandler),
  templateRoute('POST', '/servicePrincipals', servicePrincipalCreateHandler(servicePrincipalOf)),
  templateRoute('POST', '/servicePrincipals/{id}/appRoleAssignments', appRoleAssignmentCreateHandler),
  templateRoute('GET', '/servicePrincipals/{id}/appRoleAssignments', appRoleAssignmentListHandler),
  templateRoute('GET', '/oauth2PermissionGrants', grantsHandler),
  templateRoute('POST', '/oauth2PermissionGrants', grantCreateHandler),
  templateRoute('PATCH', '/oauth2PermissionGrants/{id}', grantUpdateHandler),
];

/** The first segment no route knows, for Graph's "Resource not found for the segment" answer. */
function unknownSegment(segments: readonly string[]): string {
  let known = 0;
  for (const route of ROUTES) {
    const patterns = route.template.split('/').filter((p) => p.length > 0);
    let i = 0;
    while (i < segments.length && i < patterns.length && ((patterns[i] as string).startsWith('{') || segmentMatches(patterns[i] as string, segments[i] as string))) i++;
    known = Math.max(known, i);
  }
  return segments[Math.min(known, segments.length - 1)] ?? '';
}

/** The emulated Graph workloads behind the transport: one function from request to response. */
export function createGraphRouter(tenant: Tenant, options: GraphRouterOptions = {}): (req: GraphRequest) => Promise<GraphResponse> {
  const clock = options.clock ?? Date.now;
  // Build the search indexes now rather than inside the first Retrieval call.
  tenantCorpora(tenant);
  const ctx: RouteContext = {
    tenant,
    clock,
    usersById: new Map(tenant.users.map((u) => [u.id.toLowerCase(), u])),
    retrievalBudget: new SlidingWindowBudget(options.retrievalBudgetPerHour ?? 200, 3_600_000, clock),
    dispatch,
  };

  async function dispatch(req: GraphRequest): Promise<GraphResponse> {
    const segments = req.path.split('/').filter((s) => s.length > 0);
    const method = req.method.toUpperCase();
    const matching = ROUTES.map((route) => ({ route, params: route.match(segments) })).filter((m) => m.params !== undefined);
    const hit = matching.find((m) => m.route.method === method);
    if (!hit) {
      if (matching.length > 0) {
        const allowed = [...new Set(matching.map((m) => m.route.method))].join(', ');
        const route = `${method} ${matching[0]?.route.template ?? ''}`;
        return graphError(req, clock(), route, 405, 'MethodNotAllowed', `The HTTP method '${method}' is not allowed for this resource. Allowed: ${allowed}.`, { headers: { Allow: allowed } });
      }
      return graphError(req, clock(), 'unmatched', 400, 'BadRequest', `Resource not found for the segment '${unknownSegment(segments)}'.`);
    }
    // A handler that throws is a bug: let it reach the transport, which answers 500 and logs it.
    return hit.route.handle(req, hit.params as RouteParams, ctx);
  }

  return dispatch;
}
