import * as z from 'zod';
import { AppError } from '../errors.js';
import {
  CALENDAR_SCOPE,
  endedCalendarMeetings,
  insightSummaries,
  INSIGHT_SCOPE,
  LATEST_LOOKBACK_DAYS,
  MEETING_SCOPE,
  meetingById,
  meetingByJoinUrl,
  readInsight,
  resolveCalendarMeeting,
  utc,
} from '../graph/copilot/meetings.js';
import { signedInUserId } from './signedInUser.js';
import { defineTool, type ToolContext } from './tool.js';

const INSIGHT_DELAY_HOURS = 4; // insights can take up to 4 h after the meeting ends
/** With latest: true and nothing to show yet, how many earlier meetings are tried for ready insights (two Graph reads each). */
const READY_SEARCH_MEETINGS = 10;

const input = z
  .object({
    joinUrl: z.string().url().max(4096).optional().describe('The Teams join link of the meeting (https://teams.microsoft.com/l/meetup-join/…).'),
    meetingId: z.string().min(1).max(1024).optional().describe('The Graph onlineMeeting id, if already known.'),
    latest: z.literal(true).optional().describe('true: use the most recent online meeting in your calendar that has ended (last 30 days).'),
    insightId: z.string().min(1).max(1024).optional().describe('Which insight (one per transcript) to open; default: the newest.'),
  })
  .superRefine((a, ctx) => {
    const chosen = [a.joinUrl, a.meetingId, a.latest].filter((v) => v !== undefined).length;
    if (chosen !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of joinUrl, meetingId or latest: true' });
  });

const meetingSchema = z.object({ id: z.string(), subject: z.string().optional(), joinUrl: z.string().optional(), start: z.string().optional(), end: z.string().optional() });
const insightsSchema = z.array(z.object({ id: z.string(), createdDateTime: z.string().optional(), endDateTime: z.string().optional(), callId: z.string().optional() }));
const chosenSchema = z.object({
  id: z.string(),
  notes: z.array(z.object({ title: z.string(), text: z.string(), subpoints: z.array(z.object({ title: z.string(), text: z.string() })) })),
  actionItems: z.array(z.object({ title: z.string(), text: z.string(), owner: z.string().optional() })),
  mentions: z.array(z.object({ time: z.string().optional(), speaker: z.string().optional(), utterance: z.string() })).describe('Moments where you were mentioned.'),
});

const output = z.object({
  status: z.enum(['ready', 'notReady', 'noTranscript', 'notFound']).describe('notReady: insights take up to 4 h after the meeting; noTranscript: not transcribed, so none exist.'),
  message: z.string(),
  meeting: meetingSchema.optional(),
  insights: insightsSchema,
  chosen: chosenSchema.optional(),
  latestReady: z
    .object({ meeting: meetingSchema, insights: insightsSchema, chosen: chosenSchema })
    .optional()
    .describe('With latest: true, when your latest meeting has no insights to show yet: your most recent meeting whose insights are ready, with its newest insight.'),
});
type Out = z.output<typeof output>;
type Meeting = z.output<typeof meetingSchema>;

export const meetingInsightsTool = defineTool({
  name: 'copilot_meeting_insights',
  title: 'Teams meeting notes, action items and mentions (Copilot Meeting AI insights)',
  description: [
    'Get the AI-generated insights of a Teams meeting you attended: structured notes with subpoints, action items with owners, and the moments you were mentioned.',
    'Identify the meeting by its join URL, its online meeting id, or latest: true for your most recent meeting.',
    'Insights exist only for transcribed or recorded meetings and can take up to 4 hours after the meeting ends;',
    'the status field says which case applies (ready, notReady, noTranscript, notFound).',
  ].join(' '),
  instructions: 'copilot_meeting_insights returns Teams meeting notes, action items and mentions',
  toolset: 'meetings',
  stability: 'ga',
  api: { name: 'the meeting AI insights API', clouds: ['global'] },
  readOnly: true,
  input,
  output,
  permissions: { delegated: [INSIGHT_SCOPE, MEETING_SCOPE, CALENDAR_SCOPE], application: [] },
  // A join link lets its holder into the meeting lobby: recorded as text. The meeting id Graph resolved is in the request paths.
  audited: { joinUrl: 'text', meetingId: 'value', latest: 'value', insightId: 'value' },
  examples: { joinUrl: 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjQ1%40thread.v2/0', meetingId: 'MSo1N2Y5ZGFjYy03MWJmLTQ3NDMtYjQxMy01M2EdFGkdRWHJlQ', latest: true, insightId: 'MCMxOTptZWV0aW5nX05qUTFAdGhyZWFkLnYyIyMw' },
  async handle(args, ctx) {
    const userId = await signedInUserId(ctx, [INSIGHT_SCOPE]);

    if (args.latest) return latestOutcome(ctx, userId);
    // By id the meeting is looked up too, so both ways of naming it give the same answer, with its subject and time.
    const meeting = args.joinUrl ? await meetingByJoinUrl(ctx.graph, args.joinUrl, ctx.signal) : await meetingById(ctx.graph, args.meetingId!, ctx.signal);
    if (!meeting)
      return notFound(args.joinUrl ? 'No meeting with this join URL is visible to you (you must be the organizer or an invited attendee).' : 'No meeting with this id is visible to you (you must be the organizer or an invited attendee).');
    return done(await meetingOutcome(ctx, userId, meeting, args.insightId));
  },
});

/** What one meeting's insights say: ready with the chosen insight's content, or why there is none to show. */
async function meetingOutcome(ctx: ToolContext, userId: string, meeting: Meeting, insightId?: string): Promise<Out> {
  let insights;
  try {
    insights = await insightSummaries(ctx.graph, userId, meeting.id, ctx.signal);
  } catch (err) {
    if (err instanceof AppError && err.code === 'NotFound') return notFoundOut('Graph does not know this meeting for you (it may have expired, or you were not invited).', meeting);
    throw err;
  }
  if (!insights.length) return emptyOutcome(meeting);

  const chosenId = insightId ?? insights[0]!.id;
  if (insightId && !insights.some((i) => i.id === insightId))
    throw new AppError('InvalidArgument', `insightId ${insightId} is not one of this meeting's insights`, { nextStep: `Use one of: ${insights.map((i) => i.id).join(', ')}.`, details: {} });
  let chosen;
  try {
    chosen = await readInsight(ctx.graph, userId, meeting.id, chosenId, ctx.signal);
  } catch (err) {
    // Listed but not yet readable: Graph is still generating it (seen in the field as a 404).
    if (err instanceof AppError && err.code === 'NotFound')
      return { status: 'notReady', message: 'The insight is listed but not readable yet; Graph is still generating it. Try again in a few minutes.', meeting, insights };
    throw err;
  }
  return {
    status: 'ready',
    message: `${when(meeting)}${chosen.notes.length} note(s), ${chosen.actionItems.length} action item(s), ${chosen.mentions.length} mention(s) of you${insights.length > 1 ? `; ${insights.length} insights exist (one per transcript), showing the newest unless insightId is given` : ''}.`,
    meeting,
    insights,
    chosen,
  };
}

/**
 * "My latest meeting": the most recent online meeting in the calendar that has ended. When it has
 * nothing to show yet (insights take up to 4 h, or it was not transcribed), the answer says so and
 * also carries the most recent meeting whose insights are ready, which is usually what was meant.
 */
async function latestOutcome(ctx: ToolContext, userId: string) {
  const ended = await endedCalendarMeetings(ctx.graph, ctx.signal);
  const latest = ended[0] ? await resolveCalendarMeeting(ctx.graph, ended[0], ctx.signal) : undefined;
  if (!latest) return notFound(`No online meeting that has ended was found in your calendar in the last ${LATEST_LOOKBACK_DAYS} days.`);
  const outcome = await meetingOutcome(ctx, userId, latest);
  if (outcome.status === 'ready') return done(outcome);

  for (const earlier of ended.slice(1, 1 + READY_SEARCH_MEETINGS)) {
    const meeting = await resolveCalendarMeeting(ctx.graph, earlier, ctx.signal);
    if (!meeting || meeting.id === latest.id) continue;
    const candidate = await meetingOutcome(ctx, userId, meeting);
    if (candidate.status !== 'ready' || !candidate.chosen) continue;
    return done({
      ...outcome,
      message: `Your latest meeting${latest.subject ? ` "${latest.subject}"` : ''} has no insights to show yet: ${outcome.message} Your most recent meeting with ready insights is "${meeting.subject ?? meeting.id}"${meeting.end ? ` (ended ${meeting.end})` : ''}: its notes and action items are in latestReady.`,
      latestReady: { meeting, insights: candidate.insights, chosen: candidate.chosen },
    });
  }
  return done({ ...outcome, message: `${outcome.message} None of your ${Math.min(ended.length - 1, READY_SEARCH_MEETINGS)} meeting(s) before it has insights ready either.` });
}

const when = (meeting: Meeting) => (meeting.start ? `Meeting of ${meeting.start}${meeting.end ? ` to ${meeting.end}` : ''}: ` : '');

function emptyOutcome(meeting: Meeting): Out {
  const end = meeting.end ? utc(meeting.end) : Number.NaN;
  if (Number.isFinite(end) && Date.now() - end < INSIGHT_DELAY_HOURS * 3_600_000) {
    const readyBy = new Date(end + INSIGHT_DELAY_HOURS * 3_600_000).toISOString();
    return { status: 'notReady', message: `The meeting ended at ${new Date(end).toISOString()}; insights can take up to ${INSIGHT_DELAY_HOURS} hours. Try again, at the latest after ${readyBy}.`, meeting, insights: [] };
  }
  return {
    status: 'noTranscript',
    message: Number.isFinite(end)
      ? 'No insights exist for this meeting: it was not transcribed or recorded (insights need a transcript).'
      : `No insights exist yet: either the meeting was not transcribed or recorded, or it ended less than ${INSIGHT_DELAY_HOURS} hours ago.`,
    meeting,
    insights: [],
  };
}

function notFoundOut(message: string, meeting?: Meeting): Out {
  return { status: 'notFound', message, ...(meeting ? { meeting } : {}), insights: [] };
}

function notFound(message: string, meeting?: Meeting) {
  return done(notFoundOut(message, meeting));
}

function done(structured: Out) {
  return { structured, text: renderText(structured) };
}

function renderText(out: Out): string {
  const lines = [`[${out.status}] ${out.meeting?.subject ? `${out.meeting.subject}: ` : ''}${out.message}`];
  if (out.chosen) lines.push(...renderInsight(out.chosen));
  if (out.latestReady) {
    const m = out.latestReady.meeting;
    lines.push('', `Most recent meeting with ready insights: ${m.subject ?? m.id}${m.start ? ` (${m.start}${m.end ? ` to ${m.end}` : ''})` : ''}, meetingId ${m.id}`);
    lines.push(...renderInsight(out.latestReady.chosen));
  }
  return lines.join('\n');
}

function renderInsight(chosen: NonNullable<Out['chosen']>): string[] {
  const lines: string[] = [];
  if (chosen.notes.length) lines.push('Notes:');
  for (const n of chosen.notes) {
    lines.push(`- ${n.title}: ${n.text}`);
    for (const s of n.subpoints) lines.push(`  - ${s.title}: ${s.text}`);
  }
  if (chosen.actionItems.length) lines.push('Action items:');
  for (const a of chosen.actionItems) lines.push(`- ${a.title}${a.owner ? ` (owner: ${a.owner})` : ''}: ${a.text}`);
  if (chosen.mentions.length) lines.push('You were mentioned:');
  for (const m of chosen.mentions) lines.push(`- ${m.time ?? ''} ${m.speaker ?? 'someone'}: "${m.utterance}"`);
  return lines;
}
