import { describe, expect, it } from 'vitest';
import { tenantFacts } from '../src/data/facts.js';
import { generateTenant } from '../src/data/generate.js';
import { createGraphRouter } from '../src/graphApi/graphRouter.js';
import type { EmuUser, GraphCaller, GraphRequest, GraphResponse } from '../src/model.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const BASE = 'http://127.0.0.1:9999';
const tenant = generateTenant({ now: new Date(NOW) });
const facts = tenantFacts(tenant);
let now = NOW;
const router = createGraphRouter(tenant, { clock: () => now });
const SCOPES = ['User.Read', 'OnlineMeetingAiInsight.Read.All', 'OnlineMeetings.Read', 'Calendars.Read'];
const demo = facts.demoUser;

function delegated(user: EmuUser, scopes: string[] = SCOPES): GraphCaller {
  return { kind: 'delegated', tenantId: tenant.id, userId: user.id, upn: user.upn, appId: tenant.apps.publicClient.clientId, scopes };
}
function app(roles: string[]): GraphCaller {
  return { kind: 'app', tenantId: tenant.id, appId: 'app', roles };
}

function get(caller: GraphCaller, path: string, query = '', method = 'GET'): Promise<GraphResponse> {
  const req: GraphRequest = { method, path, version: 'v1.0', query: new URLSearchParams(query), headers: {}, body: undefined, caller, requestId: 'r1', baseUrl: BASE };
  return router(req);
}

function error(res: GraphResponse): { code: string; message: string } {
  return (res.body as { error: { code: string; message: string } }).error;
}

const insightsPath = (userId: string, meetingId: string) => `/copilot/users/${userId}/onlineMeetings/${meetingId}/aiInsights`;
type List = { '@odata.context': string; '@odata.count': number; value: Record<string, unknown>[] };

describe('meeting AI insights', () => {
  it('lists available insights with scalar fields only, then gets one with the caller\'s mentions', async () => {
    const { meeting, insight } = facts.meetings.withInsights;
    const res = await get(delegated(demo), insightsPath(demo.id, meeting.id));
    expect(res.status).toBe(200);
    expect(res.route).toBe('GET /copilot/users/{id}/onlineMeetings/{id}/aiInsights');
    const list = res.body as List;
    expect(list['@odata.count']).toBe(1);
    expect(list['@odata.context']).toBe(`${BASE}/v1.0/$metadata#copilot/users('${demo.id}')/onlineMeetings('${meeting.id}')/aiInsights`);
    expect(list.value).toEqual([{ id: insight.id, callId: insight.callId, contentCorrelationId: insight.contentCorrelationId, createdDateTime: insight.createdDateTime, endDateTime: insight.endDateTime }]);

    const one = await get(delegated(demo), `${insightsPath(demo.id, meeting.id)}/${insight.id}`);
    expect(one.status).toBe(200);
    expect(one.route).toBe('GET /copilot/users/{id}/onlineMeetings/{id}/aiInsights/{id}');
    const body = one.body as Record<string, any>;
    expect(body['meetingNotes']).toEqual(insight.meetingNotes);
    expect(body['actionItems']).toEqual(insight.actionItems);
    const mine = insight.mentionsByUser[demo.id] ?? [];
    expect(body['viewpoint'].mentionEvents).toHaveLength(mine.length);
    const first = mine[0];
    if (first) {
      const speaker = tenant.users.find((u) => u.id === first.speakerId);
      expect(body['viewpoint'].mentionEvents[0]).toEqual({
        eventDateTime: first.eventDateTime,
        transcriptUtterance: first.transcriptUtterance,
        speaker: { application: null, device: null, user: { '@odata.type': '#microsoft.graph.teamworkUserIdentity', id: first.speakerId, displayName: speaker?.displayName, userIdentityType: 'aadUser', tenantId: tenant.id } },
      });
    }
  });

  it('lists one insight per transcript', async () => {
    const meeting = facts.meetings.twoTranscripts;
    const list = (await get(delegated(demo), insightsPath(demo.id, meeting.id))).body as List;
    expect(list.value.map((v) => v['id'])).toEqual(meeting.insights.map((i) => i.id));
  });

  it('shows nothing before insights are ready, then shows them', async () => {
    const meeting = facts.meetings.notReady;
    const insight = meeting.insights[0];
    if (!insight) throw new Error('fixture');
    const empty = await get(delegated(demo), insightsPath(demo.id, meeting.id));
    expect(empty.status).toBe(200);
    expect((empty.body as List).value).toEqual([]);
    expect((empty.body as List)['@odata.count']).toBe(0);
    const early = await get(delegated(demo), `${insightsPath(demo.id, meeting.id)}/${insight.id}`);
    expect(early.status).toBe(404);
    expect(error(early)).toMatchObject({ code: 'NotFound', message: 'No meeting insights found for the given ID.' });
    now = Date.parse(insight.availableAt);
    try {
      expect(((await get(delegated(demo), insightsPath(demo.id, meeting.id))).body as List).value).toHaveLength(1);
      expect((await get(delegated(demo), `${insightsPath(demo.id, meeting.id)}/${insight.id}`)).status).toBe(200);
    } finally {
      now = NOW;
    }
  });

  it('never has insights for a meeting without transcript', async () => {
    const res = await get(delegated(demo), insightsPath(demo.id, facts.meetings.noTranscript.id));
    expect(res.status).toBe(200);
    expect((res.body as List).value).toEqual([]);
  });

  it('answers 404 for unknown meetings, meetings the user did not attend, and unknown insight ids', async () => {
    const notAttended = await get(delegated(demo), insightsPath(demo.id, facts.meetings.notAttended.id));
    expect(notAttended.status).toBe(404);
    expect(error(notAttended).code).toBe('NotFound');
    expect((await get(delegated(demo), insightsPath(demo.id, 'bm9wZQ=='))).status).toBe(404);
    const { meeting } = facts.meetings.withInsights;
    const unknown = await get(delegated(demo), `${insightsPath(demo.id, meeting.id)}/VjEjI3Vua25vd24=`);
    expect(error(unknown).message).toBe('No meeting insights found for the given ID.');
  });

  it('checks permissions, the path user and the licence', async () => {
    const { meeting } = facts.meetings.withInsights;
    const other = tenant.users.find((u) => u.copilotLicense && u.id !== demo.id && meeting.attendeeIds.includes(u.id)) as EmuUser;
    expect((await get(delegated(demo, ['User.Read']), insightsPath(demo.id, meeting.id))).status).toBe(403);
    expect((await get(delegated(demo), insightsPath(other.id, meeting.id))).status).toBe(403);
    expect((await get(app(['AiEnterpriseInteraction.Read.All', 'User.Read.All']), insightsPath(demo.id, meeting.id))).status).toBe(403);
    expect((await get(app(['OnlineMeetingAiInsight.Read.All']), insightsPath(demo.id, meeting.id))).status).toBe(200);
    const unlicensed = tenant.meetings.find((m) => m.attendeeIds.includes(facts.unlicensedUser.id));
    if (unlicensed) {
      const res = await get(delegated(facts.unlicensedUser), insightsPath(facts.unlicensedUser.id, unlicensed.id));
      expect(res.status).toBe(403);
      expect(error(res).message).toMatch(/licen[cs]e/i);
    }
  });
});

describe('GET /me/onlineMeetings?$filter=JoinWebUrl eq', () => {
  const meeting = facts.meetings.withInsights.meeting;
  const find = (caller: GraphCaller, filter: string) => get(caller, '/me/onlineMeetings', `$filter=${encodeURIComponent(filter)}`);

  it('resolves a join URL to the meeting, however deeply it was encoded', async () => {
    for (const url of [meeting.joinWebUrl, encodeURIComponent(meeting.joinWebUrl), decodeURIComponent(meeting.joinWebUrl), meeting.joinWebUrl.toUpperCase().replace('HTTPS://TEAMS.MICROSOFT.COM', 'https://teams.microsoft.com')]) {
      const res = await find(delegated(demo), `JoinWebUrl eq '${url}'`);
      expect(res.status).toBe(200);
      const value = (res.body as { value: Record<string, any>[] }).value;
      expect(value).toHaveLength(1);
      expect(value[0]).toMatchObject({ id: meeting.id, joinWebUrl: meeting.joinWebUrl, subject: meeting.subject, startDateTime: meeting.startDateTime, endDateTime: meeting.endDateTime, chatInfo: { threadId: meeting.threadId } });
      expect(value[0]?.['participants'].organizer.identity.user.id).toBe(meeting.organizerId);
    }
  });

  it('returns an empty value for meetings the caller does not attend or unknown URLs', async () => {
    const other = facts.meetings.notAttended;
    expect(((await find(delegated(demo), `joinWebUrl eq '${other.joinWebUrl}'`)).body as { value: unknown[] }).value).toEqual([]);
    expect(((await find(delegated(demo), "JoinWebUrl eq 'https://teams.microsoft.com/l/meetup-join/nope'")).body as { value: unknown[] }).value).toEqual([]);
  });

  it('needs a supported filter, a delegated token and OnlineMeetings.Read', async () => {
    expect((await get(delegated(demo), '/me/onlineMeetings')).status).toBe(400);
    expect((await find(delegated(demo), "subject eq 'x'")).status).toBe(400);
    expect((await find(delegated(demo, ['User.Read']), `JoinWebUrl eq '${meeting.joinWebUrl}'`)).status).toBe(403);
    expect((await find(delegated(demo, ['OnlineMeetings.ReadWrite']), `JoinWebUrl eq '${meeting.joinWebUrl}'`)).status).toBe(200);
    expect((await find(app(['OnlineMeetings.Read.All']), `JoinWebUrl eq '${meeting.joinWebUrl}'`)).status).toBe(400);
  });
});

describe('GET /me/onlineMeetings/{meetingId}', () => {
  const meeting = facts.meetings.withInsights.meeting;

  it('answers the meeting to an attendee, with its subject and times, as the join URL filter does', async () => {
    const res = await get(delegated(demo), `/me/onlineMeetings/${meeting.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: meeting.id, joinWebUrl: meeting.joinWebUrl, subject: meeting.subject, startDateTime: meeting.startDateTime, endDateTime: meeting.endDateTime });
    expect((res.body as Record<string, string>)['@odata.context']).toBe(`${BASE}/v1.0/$metadata#users('${demo.id}')/onlineMeetings/$entity`);
  });

  it('is 404 for a meeting the caller neither organised nor was invited to, and for an unknown id', async () => {
    const other = await get(delegated(demo), `/me/onlineMeetings/${facts.meetings.notAttended.id}`);
    expect(other.status).toBe(404);
    expect(error(other).code).toBe('NotFound');
    expect((await get(delegated(demo), '/me/onlineMeetings/MSpub3RoZXJlKjAqKjE5Om5vbmU=')).status).toBe(404);
  });

  it('needs a delegated token with OnlineMeetings.Read (or ReadWrite)', async () => {
    expect((await get(delegated(demo, ['User.Read']), `/me/onlineMeetings/${meeting.id}`)).status).toBe(403);
    expect((await get(delegated(demo, ['OnlineMeetings.ReadWrite']), `/me/onlineMeetings/${meeting.id}`)).status).toBe(200);
    expect((await get(app(['OnlineMeetings.Read.All']), `/me/onlineMeetings/${meeting.id}`)).status).toBe(400);
  });
});

describe('the demo tenant\'s meetings', () => {
  it('has one earlier today with a ready insight, newer than every other ready one, and a later one still being processed', () => {
    const latestReady = facts.meetings.latestReady;
    expect(NOW - Date.parse(latestReady.endDateTime)).toBeLessThan(86_400_000);
    expect(latestReady.insights.every((i) => Date.parse(i.availableAt) <= NOW)).toBe(true);
    expect(latestReady.attendeeIds).toContain(demo.id);
    expect(Date.parse(facts.meetings.notReady.endDateTime)).toBeGreaterThan(Date.parse(latestReady.endDateTime));
  });
});

describe('GET /me/calendarView', () => {
  const view = (query: string, caller = delegated(demo)) => get(caller, '/me/calendarView', query);
  type Events = { value: { id: string; subject: string; start: { dateTime: string; timeZone: string }; end: { dateTime: string }; onlineMeeting: { joinUrl: string }; organizer: { emailAddress: { address: string } } }[]; '@odata.nextLink'?: string };

  it('returns the caller\'s meetings overlapping the window, as events', async () => {
    const start = new Date(NOW - 7 * 86_400_000).toISOString();
    const end = new Date(NOW).toISOString();
    const res = await view(`startDateTime=${start}&endDateTime=${end}&$top=100`);
    expect(res.status).toBe(200);
    const events = (res.body as Events).value;
    const expected = tenant.meetings.filter((m) => m.attendeeIds.includes(demo.id) && m.startDateTime < end && m.endDateTime > start);
    expect(events.map((e) => e.id)).toEqual(expected.map((m) => m.eventId));
    const first = events[0];
    const meeting = expected[0];
    expect(first).toMatchObject({ subject: meeting?.subject, isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness', onlineMeeting: { joinUrl: meeting?.joinWebUrl } });
    expect(first?.start.timeZone).toBe('UTC');
    expect(first?.start.dateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$/);
    expect(Date.parse(`${first?.start.dateTime}Z`)).toBe(Date.parse(meeting?.startDateTime ?? ''));
    expect(first?.organizer.emailAddress.address).toBe(tenant.users.find((u) => u.id === meeting?.organizerId)?.mail);
  });

  it('includes a meeting that only partly overlaps the window', async () => {
    const meeting = facts.meetings.withInsights.meeting;
    const inside = new Date(Date.parse(meeting.startDateTime) + 60_000).toISOString();
    const res = await view(`startDateTime=${inside}&endDateTime=${new Date(Date.parse(inside) + 60_000).toISOString()}`);
    expect((res.body as Events).value.map((e) => e.id)).toContain(meeting.eventId);
    const after = await view(`startDateTime=${meeting.endDateTime}&endDateTime=${new Date(Date.parse(meeting.endDateTime) + 60_000).toISOString()}`);
    expect((after.body as Events).value.map((e) => e.id)).not.toContain(meeting.eventId);
  });

  it('orders descending on request and pages with nextLink', async () => {
    const query = `startDateTime=${new Date(NOW - 40 * 86_400_000).toISOString()}&endDateTime=${new Date(NOW + 5 * 86_400_000).toISOString()}&$orderby=start/dateTime desc&$top=4`;
    const seen: string[] = [];
    let res = await view(query);
    for (;;) {
      const page = res.body as Events;
      seen.push(...page.value.map((e) => e.start.dateTime));
      const next = page['@odata.nextLink'];
      if (!next) break;
      expect(next.startsWith(`${BASE}/v1.0/me/calendarView?`)).toBe(true);
      res = await view(new URL(next).search);
    }
    const mine = tenant.meetings.filter((m) => m.attendeeIds.includes(demo.id));
    expect(seen).toHaveLength(mine.length);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it('requires both window parameters and a calendar scope', async () => {
    expect((await view(`startDateTime=${new Date(NOW).toISOString()}`)).status).toBe(400);
    expect((await view(`endDateTime=${new Date(NOW).toISOString()}`)).status).toBe(400);
    expect((await view('startDateTime=soon&endDateTime=later')).status).toBe(400);
    expect((await view(`startDateTime=2026-03-01&endDateTime=2026-03-02&$top=1001`)).status).toBe(400);
    expect((await view(`startDateTime=2026-03-01&endDateTime=2026-03-02`, delegated(demo, ['User.Read']))).status).toBe(403);
    expect((await view(`startDateTime=2026-03-01&endDateTime=2026-03-02`, delegated(demo, ['Calendars.ReadBasic']))).status).toBe(200);
  });
});

describe('users and routing', () => {
  it('GET /me and GET /users/{id|upn}', async () => {
    const me = await get(delegated(demo), '/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: demo.id, displayName: demo.displayName, userPrincipalName: demo.upn, mail: demo.mail, jobTitle: demo.jobTitle, department: demo.department });
    expect((await get(app(['User.Read.All']), `/users/${facts.licensedUser.id.toUpperCase()}`)).body).toMatchObject({ id: facts.licensedUser.id });
    expect((await get(delegated(demo), `/users/${facts.licensedUser.upn.toUpperCase()}`)).body).toMatchObject({ id: facts.licensedUser.id });
    const missing = await get(delegated(demo), '/users/nobody@contoso-emu.example');
    expect(missing.status).toBe(404);
    expect(error(missing).code).toBe('Request_ResourceNotFound');
    expect((await get(app(['AiEnterpriseInteraction.Read.All']), `/users/${demo.id}`)).status).toBe(403);
    expect((await get(delegated(demo, ['Files.Read.All']), '/me')).status).toBe(403);
  });

  it('answers 400 for unknown segments and 405 for a wrong method', async () => {
    const unknown = await get(delegated(demo), '/copilot/notAnApi');
    expect(unknown.status).toBe(400);
    expect(error(unknown)).toMatchObject({ code: 'BadRequest', message: "Resource not found for the segment 'notAnApi'." });
    expect(error(await get(delegated(demo), '/sites/root')).message).toBe("Resource not found for the segment 'sites'.");
    const wrong = await get(delegated(demo), '/copilot/retrieval');
    expect(wrong.status).toBe(405);
    expect(wrong.headers?.['Allow']).toBe('POST');
    expect((await get(delegated(demo), '/me', '', 'DELETE')).status).toBe(405);
  });
});
