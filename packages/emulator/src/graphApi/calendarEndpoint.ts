import type { EmuMeeting, GraphRequest } from '../model.js';
import { hasAnyScope } from './callerPermissions.js';
import { odataContext, userById, type RouteContext, type RouteHandler } from './routeContext.js';
import { replyFor } from './graphErrorReplies.js';
import { queryString } from './skipTokens.js';

export const CALENDAR_VIEW_ROUTE = 'GET /me/calendarView';
const SCOPES = ['Calendars.Read', 'Calendars.ReadBasic', 'Calendars.ReadWrite'];
export const CALENDAR_DEFAULT_TOP = 10;
export const CALENDAR_MAX_TOP = 1000;

/** The caller's Teams meetings overlapping [startDateTime, endDateTime), as calendar events. */
export const calendarViewHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, CALENDAR_VIEW_ROUTE);
  const caller = req.caller;
  if (caller.kind !== 'delegated') return reply.error(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  if (!hasAnyScope(caller, SCOPES)) return reply.error(403, 'accessDenied', `Access denied: the token needs the delegated permission ${SCOPES.join(' or ')}.`);

  const startText = req.query.get('startDateTime');
  const endText = req.query.get('endDateTime');
  if (startText === null || endText === null) {
    return reply.error(400, 'ErrorInvalidParameter', 'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.');
  }
  const start = parseDateTime(startText);
  const end = parseDateTime(endText);
  if (start === undefined || end === undefined) return reply.error(400, 'ErrorInvalidParameter', 'startDateTime and endDateTime must be ISO 8601 date-times.');

  const orderText = req.query.get('$orderby');
  let descending = false;
  if (orderText !== null) {
    const match = /^\s*start\/dateTime(?:\s+(asc|desc))?\s*$/i.exec(orderText);
    if (!match) return reply.error(400, 'BadRequest', "Unsupported $orderby. Use start/dateTime asc or start/dateTime desc.");
    descending = match[1]?.toLowerCase() === 'desc';
  }
  const top = integerOption(req, '$top', CALENDAR_DEFAULT_TOP, 1, CALENDAR_MAX_TOP);
  if (top === undefined) return reply.error(400, 'BadRequest', `$top must be an integer from 1 to ${CALENDAR_MAX_TOP}.`);
  const skip = integerOption(req, '$skip', 0, 0, Number.MAX_SAFE_INTEGER);
  if (skip === undefined) return reply.error(400, 'BadRequest', '$skip must be a non-negative integer.');

  const events = ctx.tenant.meetings
    .filter((m) => m.attendeeIds.includes(caller.userId) && Date.parse(m.startDateTime) < end && Date.parse(m.endDateTime) > start)
    .sort((a, b) => (descending ? -1 : 1) * (Date.parse(a.startDateTime) - Date.parse(b.startDateTime)) || a.id.localeCompare(b.id));
  const page = events.slice(skip, skip + top);
  const body: Record<string, unknown> = { '@odata.context': odataContext(req, `users('${caller.userId}')/calendarView`) };
  if (skip + top < events.length) {
    const query = queryString([
      ['startDateTime', startText],
      ['endDateTime', endText],
      ['$orderby', orderText ?? undefined],
      ['$top', String(top)],
      ['$skip', String(skip + top)],
    ]);
    body['@odata.nextLink'] = `${req.baseUrl}/${req.version}/me/calendarView?${query}`;
  }
  body['value'] = page.map((m) => renderEvent(m, ctx));
  return reply.ok(body);
};

function integerOption(req: GraphRequest, name: string, fallback: number, min: number, max: number): number | undefined {
  const text = req.query.get(name);
  if (text === null) return fallback;
  if (!/^\d+$/.test(text.trim())) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

/** A date-time without a zone means UTC, as Graph reads calendarView bounds. */
function parseDateTime(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/i.test(text.trim())) return undefined;
  const value = text.trim();
  const withZone = /T.*(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : value.includes('T') ? `${value}Z` : `${value}T00:00:00Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Graph's dateTimeTimeZone: local time without offset, seven fractional digits. */
function graphDateTime(iso: string): string {
  return new Date(iso).toISOString().replace(/\.(\d{3})Z$/, '.$10000');
}

function renderEvent(m: EmuMeeting, ctx: RouteContext): Record<string, unknown> {
  const organizer = userById(ctx, m.organizerId);
  return {
    id: m.eventId,
    subject: m.subject,
    start: { dateTime: graphDateTime(m.startDateTime), timeZone: 'UTC' },
    end: { dateTime: graphDateTime(m.endDateTime), timeZone: 'UTC' },
    isOnlineMeeting: true,
    onlineMeetingProvider: 'teamsForBusiness',
    onlineMeeting: { joinUrl: m.joinWebUrl },
    organizer: { emailAddress: { name: organizer?.displayName ?? '', address: organizer?.mail ?? '' } },
  };
}
