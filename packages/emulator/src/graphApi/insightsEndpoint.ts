import type { EmuInsight, EmuMeeting, GraphRequest, GraphResponse } from '../model.js';
import { hasAnyRole, hasAnyScope, isLicensed, LICENCE_MESSAGE } from './callerPermissions.js';
import { odataContext, userById, type RouteContext, type RouteHandler, type RouteParams } from './routeContext.js';
import { replyFor, type Reply } from './graphErrorReplies.js';
import { userIdentitySet } from './identities.js';
import { decodeSkipToken, encodeSkipToken, queryString } from './skipTokens.js';

/*
 * onlinemeeting-list-aiinsights.md (MicrosoftDocs/m365copilot-docs@90efae84): "supports the $select
 * OData query parameter"; "The list API output has a default limit of 20 items … keep calling the
 * API using the @odata.nextLink". callaiinsight-get.md supports $select too. The properties are
 * callAiInsight's (v1.0 CSDL, msgraph-metadata@f54f11b6): an unknown one is a 400, as Graph answers
 * a $select of a property the type does not have. The docs say nothing of $top, $filter on this
 * list: they are left alone (ignored), the lenient side.
 */
export const INSIGHTS_PAGE_SIZE = 20;
const INSIGHT_PROPERTIES = ['id', 'callId', 'contentCorrelationId', 'createdDateTime', 'endDateTime', 'meetingNotes', 'actionItems', 'viewpoint'];

/** The $select list (lower-cased names mapped to the type's own spelling), undefined without one, or the message of a 400. */
function selection(req: GraphRequest): string[] | undefined | { error: string } {
  const raw = req.query.get('$select');
  if (raw === null || raw.trim() === '') return undefined;
  const names: string[] = [];
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const known = INSIGHT_PROPERTIES.find((p) => p.toLowerCase() === part.toLowerCase());
    if (!known) return { error: `Could not find a property named '${part}' on type 'microsoft.graph.callAiInsight'.` };
    names.push(known);
  }
  return names;
}

/** Graph keeps an entity's id whatever $select says. */
function selected(entity: Record<string, unknown>, names: string[] | undefined): Record<string, unknown> {
  if (!names) return entity;
  return Object.fromEntries(Object.entries(entity).filter(([k]) => k === 'id' || k.startsWith('@odata.') || names.includes(k)));
}

export const INSIGHTS_LIST_ROUTE = 'GET /copilot/users/{id}/onlineMeetings/{id}/aiInsights';
export const INSIGHT_GET_ROUTE = 'GET /copilot/users/{id}/onlineMeetings/{id}/aiInsights/{id}';
const PERMISSION = 'OnlineMeetingAiInsight.Read.All';
export const INSIGHT_NOT_FOUND = 'No meeting insights found for the given ID.';

type Access = { ok: true; userId: string; meeting: EmuMeeting } | { ok: false; response: GraphResponse };

/**
 * Shared checks: permission for the kind of token, the path user (a delegated caller may only
 * read their own), the licence, and the meeting (unknown or not attended by the user → 404).
 */
function access(req: GraphRequest, params: RouteParams, ctx: RouteContext, reply: Reply): Access {
  const caller = req.caller;
  const pathUserId = params['userId'] ?? '';
  if (caller.kind === 'delegated') {
    if (!hasAnyScope(caller, [PERMISSION])) {
      return { ok: false, response: reply.error(403, 'accessDenied', `Access denied: the token lacks the delegated permission ${PERMISSION}.`) };
    }
    if (pathUserId.toLowerCase() !== caller.userId.toLowerCase()) {
      return { ok: false, response: reply.error(403, 'accessDenied', 'With delegated permissions, the user id in the path must be the signed-in user.') };
    }
  } else if (!hasAnyRole(caller, [PERMISSION])) {
    return { ok: false, response: reply.error(403, 'accessDenied', `Access denied: the application needs the ${PERMISSION} application permission and an application access policy for the user.`) };
  }
  const user = userById(ctx, pathUserId);
  if (!user) return { ok: false, response: reply.error(404, 'NotFound', `User '${pathUserId}' was not found.`) };
  if (!isLicensed(user)) return { ok: false, response: reply.error(403, 'Forbidden', LICENCE_MESSAGE) };

  const meetingId = params['meetingId'] ?? '';
  const meeting = ctx.tenant.meetings.find((m) => m.id === meetingId);
  if (!meeting || !meeting.attendeeIds.includes(user.id)) {
    return { ok: false, response: reply.error(404, 'NotFound', 'The online meeting was not found, or the user is not one of its participants.') };
  }
  return { ok: true, userId: user.id, meeting };
}

/** Insights appear up to 4 h after the meeting ends: until then they are not listed. */
function available(insight: EmuInsight, now: number): boolean {
  return Date.parse(insight.availableAt) <= now;
}

function summary(insight: EmuInsight): Record<string, unknown> {
  return {
    id: insight.id,
    callId: insight.callId,
    contentCorrelationId: insight.contentCorrelationId,
    createdDateTime: insight.createdDateTime,
    endDateTime: insight.endDateTime,
  };
}

function collectionPath(userId: string, meetingId: string): string {
  return `copilot/users('${userId}')/onlineMeetings('${meetingId}')/aiInsights`;
}

export const insightsListHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, INSIGHTS_LIST_ROUTE);
  const checked = access(req, params, ctx, reply);
  if (!checked.ok) return checked.response;
  const names = selection(req);
  if (names && 'error' in names) return reply.error(400, 'BadRequest', names.error);
  const token = req.query.get('$skiptoken');
  let offset = 0;
  if (token !== null) {
    const state = decodeSkipToken(token);
    if (!state || typeof state['o'] !== 'number' || state['m'] !== checked.meeting.id) return reply.error(400, 'BadRequest', 'The $skiptoken is not valid for this request. Follow @odata.nextLink exactly as returned.');
    offset = state['o'];
  }
  const now = ctx.clock();
  const all = checked.meeting.insights.filter((i) => available(i, now));
  const value = all.slice(offset, offset + INSIGHTS_PAGE_SIZE).map((i) => selected(summary(i), names));
  const next = offset + INSIGHTS_PAGE_SIZE < all.length ? offset + INSIGHTS_PAGE_SIZE : undefined;
  const select = req.query.get('$select') ?? undefined;
  return reply.ok({
    '@odata.context': odataContext(req, collectionPath(checked.userId, checked.meeting.id)),
    '@odata.count': all.length,
    ...(next !== undefined
      ? { '@odata.nextLink': `${req.baseUrl}/${req.version}/copilot/users/${checked.userId}/onlineMeetings/${encodeURIComponent(checked.meeting.id)}/aiInsights?${queryString([['$select', select], ['$skiptoken', encodeSkipToken({ m: checked.meeting.id, o: next })]])}` }
      : {}),
    value,
  });
};

export const insightGetHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, INSIGHT_GET_ROUTE);
  const checked = access(req, params, ctx, reply);
  if (!checked.ok) return checked.response;
  const names = selection(req);
  if (names && 'error' in names) return reply.error(400, 'BadRequest', names.error);
  const insight = checked.meeting.insights.find((i) => i.id === params['insightId']);
  if (!insight || !available(insight, ctx.clock())) return reply.error(404, 'NotFound', INSIGHT_NOT_FOUND);

  const tenantId = ctx.tenant.id;
  // The viewpoint is the path user's: the moments they were mentioned.
  const mentions = insight.mentionsByUser[checked.userId] ?? [];
  return reply.ok(selected({
    '@odata.context': odataContext(req, `${collectionPath(checked.userId, checked.meeting.id)}/$entity`),
    ...summary(insight),
    meetingNotes: insight.meetingNotes.map((n) => ({ title: n.title, text: n.text, subpoints: n.subpoints.map((s) => ({ title: s.title, text: s.text })) })),
    actionItems: insight.actionItems.map((a) => ({ title: a.title, text: a.text, ownerDisplayName: a.ownerDisplayName })),
    viewpoint: {
      mentionEvents: mentions.map((m) => ({
        eventDateTime: m.eventDateTime,
        speaker: userIdentitySet(userById(ctx, m.speakerId), m.speakerId, tenantId),
        transcriptUtterance: m.transcriptUtterance,
      })),
    },
  }, names));
};
