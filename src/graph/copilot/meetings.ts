import * as z from 'zod';
import { AppError } from '../../errors.js';
import type { GraphClient } from '../client.js';
import { delegated, ROUTES } from './routes.js';
import { CallAiInsightSchema, CallAiInsightSummarySchema, EventSchema, OnlineMeetingSchema, type CalendarEvent, type CallAiInsight, type CallAiInsightSummary, type OnlineMeeting } from './schemas.js';

/*
 * Meeting AI insights and the reads that find a meeting: GET /v1.0/copilot/users/{userId}/
 * onlineMeetings/{meetingId}/aiInsights[/{id}] (MicrosoftDocs/m365copilot-docs docs/api/ai-services/
 * meeting-insights/*), /me/onlineMeetings?$filter=JoinWebUrl eq '…' and /me/calendarView.
 */

export const INSIGHT_SCOPE = 'OnlineMeetingAiInsight.Read.All';
export const MEETING_SCOPE = 'OnlineMeetings.Read';
export const CALENDAR_SCOPE = 'Calendars.Read';

export async function onlineMeetingByJoinUrl(graph: GraphClient, joinUrl: string, signal?: AbortSignal): Promise<OnlineMeeting | undefined> {
  const { data } = await graph.request({
    method: 'GET',
    route: ROUTES.onlineMeetings,
    path: '/me/onlineMeetings',
    query: { $filter: `JoinWebUrl eq '${joinUrl.replace(/'/g, "''")}'` },
    scopes: [MEETING_SCOPE],
    permissions: delegated([MEETING_SCOPE]),
    schema: z.object({ value: z.array(OnlineMeetingSchema) }),
    ...(signal ? { signal } : {}),
  });
  return data.value[0];
}

/**
 * One of the caller's online meetings by its id (Graph "Get onlineMeeting": GET
 * /me/onlineMeetings/{meetingId}, for its organizer and invited attendees), so an answer by id
 * knows the subject and the end time just as one by join link does. NotFound when it is neither.
 */
export async function onlineMeetingById(graph: GraphClient, meetingId: string, signal?: AbortSignal): Promise<OnlineMeeting> {
  const { data } = await graph.request({
    method: 'GET',
    route: ROUTES.onlineMeeting,
    path: `/me/onlineMeetings/${encodeURIComponent(meetingId)}`,
    scopes: [MEETING_SCOPE],
    permissions: delegated([MEETING_SCOPE]),
    schema: OnlineMeetingSchema,
    ...(signal ? { signal } : {}),
  });
  return data;
}

/** The caller's calendar between two instants, newest first (at most 50 events). */
export async function calendarView(graph: GraphClient, from: Date, to: Date, signal?: AbortSignal): Promise<CalendarEvent[]> {
  const { data } = await graph.request({
    method: 'GET',
    route: ROUTES.calendarView,
    path: '/me/calendarView',
    query: { startDateTime: from.toISOString(), endDateTime: to.toISOString(), $orderby: 'start/dateTime desc', $top: '50', $select: 'id,subject,start,end,isOnlineMeeting,onlineMeeting' },
    scopes: [CALENDAR_SCOPE],
    permissions: delegated([CALENDAR_SCOPE]),
    schema: z.object({ value: z.array(EventSchema) }),
    ...(signal ? { signal } : {}),
  });
  return data.value;
}

function insightsPath(userId: string, meetingId: string): string {
  return `/copilot/users/${encodeURIComponent(userId)}/onlineMeetings/${encodeURIComponent(meetingId)}/aiInsights`;
}

/** Every insight of the meeting (one per transcript), all pages. Graph answers NotFound for a meeting the user cannot see. */
export async function listInsights(graph: GraphClient, userId: string, meetingId: string, signal?: AbortSignal): Promise<CallAiInsightSummary[]> {
  const list: CallAiInsightSummary[] = [];
  for await (const page of graph.paginate({
    method: 'GET',
    route: ROUTES.aiInsights,
    path: insightsPath(userId, meetingId),
    scopes: [INSIGHT_SCOPE],
    permissions: delegated([INSIGHT_SCOPE]),
    itemSchema: CallAiInsightSummarySchema,
    ...(signal ? { signal } : {}),
  }))
    list.push(...page.items);
  return list;
}

export async function getInsight(graph: GraphClient, userId: string, meetingId: string, insightId: string, signal?: AbortSignal): Promise<CallAiInsight> {
  const { data } = await graph.request({
    method: 'GET',
    route: ROUTES.aiInsight,
    path: `${insightsPath(userId, meetingId)}/${encodeURIComponent(insightId)}`,
    scopes: [INSIGHT_SCOPE],
    permissions: delegated([INSIGHT_SCOPE]),
    schema: CallAiInsightSchema,
    ...(signal ? { signal } : {}),
  });
  return data;
}

// ---- What the meeting tool and the insight resource read, shaped for a model ----

export const LATEST_LOOKBACK_DAYS = 30;

export interface MeetingRef {
  id: string;
  subject?: string;
  joinUrl?: string;
  start?: string;
  end?: string;
}

export interface InsightSummary {
  id: string;
  createdDateTime?: string;
  endDateTime?: string;
  callId?: string;
}

export interface InsightContent {
  id: string;
  notes: { title: string; text: string; subpoints: { title: string; text: string }[] }[];
  actionItems: { title: string; text: string; owner?: string }[];
  mentions: { time?: string; speaker?: string; utterance: string }[];
}

export async function meetingByJoinUrl(graph: GraphClient, joinUrl: string, signal?: AbortSignal): Promise<MeetingRef | undefined> {
  const m = await onlineMeetingByJoinUrl(graph, joinUrl, signal);
  return m ? meetingRef(m, joinUrl) : undefined;
}

/** The meeting by its id; undefined when Graph does not know it for the caller (404). */
export async function meetingById(graph: GraphClient, meetingId: string, signal?: AbortSignal): Promise<MeetingRef | undefined> {
  try {
    return meetingRef(await onlineMeetingById(graph, meetingId, signal));
  } catch (err) {
    if (err instanceof AppError && err.code === 'NotFound') return undefined;
    throw err;
  }
}

function meetingRef(m: OnlineMeeting, joinUrl?: string): MeetingRef {
  const url = m.joinWebUrl ?? joinUrl;
  return {
    id: m.id,
    ...(m.subject ? { subject: m.subject } : {}),
    ...(url ? { joinUrl: url } : {}),
    ...(m.startDateTime ? { start: m.startDateTime } : {}),
    ...(m.endDateTime ? { end: m.endDateTime } : {}),
  };
}

/** Online meetings in the caller's calendar that have ended (last 30 days), newest first; join URLs only, not yet resolved. */
export async function endedCalendarMeetings(graph: GraphClient, signal?: AbortSignal): Promise<{ joinUrl: string; subject?: string; end: number }[]> {
  const now = new Date();
  const events = await calendarView(graph, new Date(now.getTime() - LATEST_LOOKBACK_DAYS * 86_400_000), now, signal);
  return events
    .filter((e) => e.onlineMeeting?.joinUrl && utc(e.end?.dateTime) <= now.getTime())
    .map((e) => ({ joinUrl: e.onlineMeeting!.joinUrl!, ...(e.subject ? { subject: e.subject } : {}), end: utc(e.end?.dateTime) }))
    .sort((a, b) => b.end - a.end);
}

/** A calendar meeting resolved to its onlineMeeting (the calendar's subject when the meeting has none). */
export async function resolveCalendarMeeting(graph: GraphClient, ended: { joinUrl: string; subject?: string }, signal?: AbortSignal): Promise<MeetingRef | undefined> {
  const resolved = await meetingByJoinUrl(graph, ended.joinUrl, signal);
  return resolved ? { ...resolved, ...(ended.subject && !resolved.subject ? { subject: ended.subject } : {}) } : undefined;
}

/** The meeting's insights (one per transcript), newest first. */
export async function insightSummaries(graph: GraphClient, userId: string, meetingId: string, signal?: AbortSignal): Promise<InsightSummary[]> {
  return (await listInsights(graph, userId, meetingId, signal))
    .map((i) => ({ id: i.id, ...(i.createdDateTime ? { createdDateTime: i.createdDateTime } : {}), ...(i.endDateTime ? { endDateTime: i.endDateTime } : {}), ...(i.callId ? { callId: i.callId } : {}) }))
    .sort((a, b) => (b.createdDateTime ?? '').localeCompare(a.createdDateTime ?? ''));
}

/** One insight: notes with subpoints, action items with owners, the caller's mentions. */
export async function readInsight(graph: GraphClient, userId: string, meetingId: string, insightId: string, signal?: AbortSignal): Promise<InsightContent> {
  const full = await getInsight(graph, userId, meetingId, insightId, signal);
  return {
    id: full.id,
    notes: (full.meetingNotes ?? []).map((n) => ({ title: n.title ?? '', text: n.text ?? '', subpoints: (n.subpoints ?? []).map((s) => ({ title: s.title ?? '', text: s.text ?? '' })) })),
    actionItems: (full.actionItems ?? []).map((a) => ({ title: a.title ?? '', text: a.text ?? '', ...(a.ownerDisplayName ? { owner: a.ownerDisplayName } : {}) })),
    mentions: (full.viewpoint?.mentionEvents ?? []).map((m) => ({
      ...(m.eventDateTime ? { time: m.eventDateTime } : {}),
      ...(m.speaker?.user?.displayName ? { speaker: m.speaker.user.displayName } : {}),
      utterance: m.transcriptUtterance ?? '',
    })),
  };
}

/** calendarView times come without an offset, in the requested zone (UTC by default). */
export function utc(dateTime: string | undefined): number {
  if (!dateTime) return Number.NaN;
  return Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(dateTime) ? dateTime : `${dateTime}Z`);
}
