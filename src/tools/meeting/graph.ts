import * as z from 'zod';
import { AppError } from '../../errors.js';
import { CallAiInsightSchema, CallAiInsightSummarySchema, EventSchema, OnlineMeetingSchema } from '../../graph/schemas.js';
import type { ToolContext } from '../tool.js';

/** The Graph reads behind meeting insights, shared by the tool, the insight resource and its completions. */

export const INSIGHT_SCOPE = 'OnlineMeetingAiInsight.Read.All';
export const MEETING_SCOPE = 'OnlineMeetings.Read';
export const CALENDAR_SCOPE = 'Calendars.Read';
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

/** Insights are read per user: the signed-in user's id (signs in first when needed). */
export async function signedInUserId(ctx: ToolContext): Promise<string> {
  const me = await ctx.whoAmI([INSIGHT_SCOPE]);
  if (!me.account) throw new AppError('AuthRequired', 'no signed-in user', { nextStep: 'Call the tool again to sign in.' });
  return me.account.userId;
}

export async function meetingByJoinUrl(joinUrl: string, ctx: ToolContext): Promise<MeetingRef | undefined> {
  const { data } = await ctx.graph.request({
    method: 'GET',
    path: '/me/onlineMeetings',
    query: { $filter: `JoinWebUrl eq '${joinUrl.replace(/'/g, "''")}'` },
    scopes: [MEETING_SCOPE],
    permissions: [`${MEETING_SCOPE} (delegated)`],
    schema: z.object({ value: z.array(OnlineMeetingSchema) }),
    signal: ctx.signal,
  });
  const m = data.value[0];
  if (!m) return undefined;
  return {
    id: m.id,
    ...(m.subject ? { subject: m.subject } : {}),
    joinUrl: m.joinWebUrl ?? joinUrl,
    ...(m.startDateTime ? { start: m.startDateTime } : {}),
    ...(m.endDateTime ? { end: m.endDateTime } : {}),
  };
}

/** Online meetings in the caller's calendar that have ended (last 30 days), newest first; join URLs only, not yet resolved. */
export async function endedCalendarMeetings(ctx: ToolContext): Promise<{ joinUrl: string; subject?: string; end: number }[]> {
  const now = new Date();
  const { data } = await ctx.graph.request({
    method: 'GET',
    path: '/me/calendarView',
    query: {
      startDateTime: new Date(now.getTime() - LATEST_LOOKBACK_DAYS * 86_400_000).toISOString(),
      endDateTime: now.toISOString(),
      $orderby: 'start/dateTime desc',
      $top: '50',
      $select: 'id,subject,start,end,isOnlineMeeting,onlineMeeting',
    },
    scopes: [CALENDAR_SCOPE],
    permissions: [`${CALENDAR_SCOPE} (delegated)`],
    schema: z.object({ value: z.array(EventSchema) }),
    signal: ctx.signal,
  });
  return data.value
    .filter((e) => e.onlineMeeting?.joinUrl && utc(e.end?.dateTime) <= now.getTime())
    .map((e) => ({ joinUrl: e.onlineMeeting!.joinUrl!, ...(e.subject ? { subject: e.subject } : {}), end: utc(e.end?.dateTime) }))
    .sort((a, b) => b.end - a.end);
}

export async function latestMeeting(ctx: ToolContext): Promise<MeetingRef | undefined> {
  const ended = (await endedCalendarMeetings(ctx))[0];
  if (!ended) return undefined;
  const resolved = await meetingByJoinUrl(ended.joinUrl, ctx);
  return resolved ? { ...resolved, ...(ended.subject && !resolved.subject ? { subject: ended.subject } : {}) } : undefined;
}

function insightsPath(userId: string, meetingId: string): string {
  return `/copilot/users/${encodeURIComponent(userId)}/onlineMeetings/${encodeURIComponent(meetingId)}/aiInsights`;
}

/** The meeting's insights (one per transcript), newest first. Graph answers NotFound for a meeting the user cannot see. */
export async function listInsights(userId: string, meetingId: string, ctx: ToolContext): Promise<InsightSummary[]> {
  const list = [];
  for await (const page of ctx.graph.paginate({
    method: 'GET',
    path: insightsPath(userId, meetingId),
    scopes: [INSIGHT_SCOPE],
    permissions: [`${INSIGHT_SCOPE} (delegated)`],
    itemSchema: CallAiInsightSummarySchema,
    signal: ctx.signal,
  }))
    list.push(...page.items);
  return list
    .map((i) => ({ id: i.id, ...(i.createdDateTime ? { createdDateTime: i.createdDateTime } : {}), ...(i.endDateTime ? { endDateTime: i.endDateTime } : {}), ...(i.callId ? { callId: i.callId } : {}) }))
    .sort((a, b) => (b.createdDateTime ?? '').localeCompare(a.createdDateTime ?? ''));
}

/** One insight, shaped for callers: notes with subpoints, action items with owners, the caller's mentions. */
export async function readInsight(userId: string, meetingId: string, insightId: string, ctx: ToolContext): Promise<InsightContent> {
  const { data: full } = await ctx.graph.request({
    method: 'GET',
    path: `${insightsPath(userId, meetingId)}/${encodeURIComponent(insightId)}`,
    scopes: [INSIGHT_SCOPE],
    permissions: [`${INSIGHT_SCOPE} (delegated)`],
    schema: CallAiInsightSchema,
    signal: ctx.signal,
  });
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
