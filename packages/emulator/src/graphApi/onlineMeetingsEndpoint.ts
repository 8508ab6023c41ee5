import type { EmuMeeting } from '../model.js';
import { hasAnyScope } from './callerPermissions.js';
import { odataContext, userById, type RouteContext, type RouteHandler } from './routeContext.js';
import { replyFor } from './graphErrorReplies.js';
import { normaliseJoinUrl, parseJoinUrlFilter } from './joinUrl.js';

export const ONLINE_MEETINGS_ROUTE = 'GET /me/onlineMeetings';
export const ONLINE_MEETING_ROUTE = 'GET /me/onlineMeetings/{meetingId}';
const SCOPES = ['OnlineMeetings.Read', 'OnlineMeetings.ReadWrite'];

/** Resolves a Teams join link to the onlineMeeting (and its id) among the caller's meetings. */
export const onlineMeetingsHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, ONLINE_MEETINGS_ROUTE);
  const caller = req.caller;
  if (caller.kind !== 'delegated') return reply.error(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  if (!hasAnyScope(caller, SCOPES)) return reply.error(403, 'accessDenied', `Access denied: the token needs the delegated permission ${SCOPES.join(' or ')}.`);

  const filter = req.query.get('$filter');
  if (filter === null) return reply.error(400, 'BadRequest', "Listing online meetings needs a $filter: JoinWebUrl eq '<join URL>'.");
  const joinUrl = parseJoinUrlFilter(filter);
  if (joinUrl === undefined) return reply.error(400, 'BadRequest', "Unsupported $filter. Use JoinWebUrl eq '<join URL>' (the URL encoded once more for the query string).");

  const wanted = normaliseJoinUrl(joinUrl);
  const value = ctx.tenant.meetings
    .filter((m) => m.attendeeIds.includes(caller.userId) && normaliseJoinUrl(m.joinWebUrl) === wanted)
    .map((m) => renderMeeting(m, ctx));
  return reply.ok({ '@odata.context': odataContext(req, `users('${caller.userId}')/onlineMeetings`), value });
};

/**
 * One onlineMeeting by its id (Microsoft Graph "Get onlineMeeting", v1.0: `GET
 * /me/onlineMeetings/{meetingId}`, delegated OnlineMeetings.Read; the URL "accepts user tokens of
 * the organizer and invited attendees"). A meeting the caller is neither is answered as unknown.
 */
export const onlineMeetingHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, ONLINE_MEETING_ROUTE);
  const caller = req.caller;
  if (caller.kind !== 'delegated') return reply.error(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  if (!hasAnyScope(caller, SCOPES)) return reply.error(403, 'accessDenied', `Access denied: the token needs the delegated permission ${SCOPES.join(' or ')}.`);
  const meeting = ctx.tenant.meetings.find((m) => m.id === params['meetingId'] && m.attendeeIds.includes(caller.userId));
  if (!meeting) return reply.error(404, 'NotFound', 'The online meeting was not found, or the user is not its organizer or an invited attendee.');
  return reply.ok({ '@odata.context': odataContext(req, `users('${caller.userId}')/onlineMeetings/$entity`), ...renderMeeting(meeting, ctx) });
};

function renderMeeting(m: EmuMeeting, ctx: RouteContext): Record<string, unknown> {
  const organizer = userById(ctx, m.organizerId);
  return {
    id: m.id,
    joinWebUrl: m.joinWebUrl,
    subject: m.subject,
    startDateTime: m.startDateTime,
    endDateTime: m.endDateTime,
    chatInfo: { threadId: m.threadId, messageId: '0', replyChainMessageId: null },
    participants: {
      organizer: {
        upn: organizer?.upn ?? null,
        role: 'presenter',
        identity: { application: null, device: null, user: { id: m.organizerId, displayName: organizer?.displayName ?? null, tenantId: ctx.tenant.id } },
      },
    },
  };
}
