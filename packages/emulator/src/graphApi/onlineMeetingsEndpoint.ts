import type { EmuMeeting } from '../model.js';
import { hasAnyScope } from './callerPermissions.js';
import { odataContext, userById, type RouteContext, type RouteHandler } from './routeContext.js';
import { replyFor } from './graphErrorReplies.js';
import { normaliseJoinUrl, parseJoinUrlFilter } from './joinUrl.js';

export const ONLINE_MEETINGS_ROUTE = 'GET /me/onlineMeetings';
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
