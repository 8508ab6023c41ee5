import type { EmuInsight, EmuMeeting, GraphRequest, GraphResponse } from '../model.js';
import { hasAnyRole, hasAnyScope, isLicensed, LICENCE_MESSAGE } from './callerPermissions.js';
import { odataContext, userById, type RouteContext, type RouteHandler, type RouteParams } from './routeContext.js';
import { replyFor, type Reply } from './graphErrorReplies.js';
import { userIdentitySet } from './identities.js';

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
  const now = ctx.clock();
  const value = checked.meeting.insights.filter((i) => available(i, now)).map(summary);
  return reply.ok({
    '@odata.context': odataContext(req, collectionPath(checked.userId, checked.meeting.id)),
    '@odata.count': value.length,
    value,
  });
};

export const insightGetHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, INSIGHT_GET_ROUTE);
  const checked = access(req, params, ctx, reply);
  if (!checked.ok) return checked.response;
  const insight = checked.meeting.insights.find((i) => i.id === params['insightId']);
  if (!insight || !available(insight, ctx.clock())) return reply.error(404, 'NotFound', INSIGHT_NOT_FOUND);

  const tenantId = ctx.tenant.id;
  // The viewpoint is the path user's: the moments they were mentioned.
  const mentions = insight.mentionsByUser[checked.userId] ?? [];
  return reply.ok({
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
  });
};
