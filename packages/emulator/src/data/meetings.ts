import type { EmuInsight, EmuMeeting, EmuMention, EmuUser } from '../model.js';
import { MEETING_TOPICS, MENTION_UTTERANCES, type MeetingTopic } from './meetingTopics.js';
import type { Rng } from './prng.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const PAST_MEETINGS = 21;
/** Past meeting slots with a special role (index into the past meetings, 0 = oldest). */
const NO_TRANSCRIPT = new Set([4, 13]);
const TWO_TRANSCRIPTS = 9;
const WITHOUT_DEMO_USER = new Set([6, 16]);

export interface MeetingContext {
  users: readonly EmuUser[];
  demoUser: EmuUser;
  tenantId: string;
  now: number;
}

/**
 * About 30 days of meetings: past ones (most with one insight, two without a transcript, one with
 * two transcripts), one earlier today whose insight is ready, one that ended 45 minutes ago (its
 * insight is not available yet) and two upcoming ones. Sorted by start time.
 */
export function generateMeetings(rng: Rng, ctx: MeetingContext): EmuMeeting[] {
  const today = Math.floor(ctx.now / DAY) * DAY;
  const meetings: EmuMeeting[] = [];

  for (let i = 0; i < PAST_MEETINGS; i++) {
    const daysAgo = 29 - Math.floor((i * 28) / (PAST_MEETINGS - 1));
    const start = today - daysAgo * DAY + rng.int(8, 16) * HOUR + rng.pick([0, 30]) * MINUTE;
    const duration = rng.pick([30, 45, 60]) * MINUTE;
    const transcripts = NO_TRANSCRIPT.has(i) ? 0 : i === TWO_TRANSCRIPTS ? 2 : 1;
    meetings.push(meeting(rng, ctx, { start, end: start + duration, transcripts, withDemoUser: !WITHOUT_DEMO_USER.has(i), readyAfter: rng.int(10, 110) * MINUTE }));
  }

  // Insights take up to 4 h: this one's will not be ready at generation time.
  const recentEnd = ctx.now - 45 * MINUTE;
  meetings.push(meeting(rng, ctx, { start: recentEnd - HOUR, end: recentEnd, transcripts: 1, withDemoUser: true, readyAfter: 3 * HOUR }));

  for (const [daysAhead, hour] of [[1, 10], [2, 14]] as const) {
    const start = today + daysAhead * DAY + hour * HOUR;
    meetings.push(meeting(rng, ctx, { start, end: start + 45 * MINUTE, transcripts: 0, withDemoUser: true, readyAfter: 0, transcription: true }));
  }

  // Earlier today, insights ready: "the action items from my latest meeting" has an answer in the
  // demo while the meeting above is still being processed. Drawn last, so the meetings above keep
  // the data they had for a given seed.
  const readyEnd = ctx.now - 3 * HOUR;
  meetings.push(meeting(rng, ctx, { start: readyEnd - HOUR, end: readyEnd, transcripts: 1, withDemoUser: true, readyAfter: 40 * MINUTE }));
  return meetings.sort((a, b) => a.startDateTime.localeCompare(b.startDateTime));
}

interface MeetingShape {
  start: number;
  end: number;
  transcripts: number;
  withDemoUser: boolean;
  readyAfter: number;
  /** Upcoming meetings have transcription on but no transcript yet. */
  transcription?: boolean;
}

function meeting(rng: Rng, ctx: MeetingContext, shape: MeetingShape): EmuMeeting {
  const topic = rng.pick(MEETING_TOPICS);
  const others = ctx.users.filter((u) => u.id !== ctx.demoUser.id);
  const organizer = shape.withDemoUser && rng.chance(0.35) ? ctx.demoUser : rng.pick(others);
  const pool = others.filter((u) => u.id !== organizer.id);
  const attendees = [organizer, ...rng.sample(pool, rng.int(2, 5))];
  if (shape.withDemoUser && !attendees.includes(ctx.demoUser)) attendees.push(ctx.demoUser);

  const { id, threadId } = meetingIds(rng, organizer.id);
  const joinWebUrl =
    `https://teams.microsoft.com/l/meetup-join/${threadId.replace(':', '%3a').replace('@', '%40')}/0` +
    `?context=%7b%22Tid%22%3a%22${ctx.tenantId}%22%2c%22Oid%22%3a%22${organizer.id}%22%7d`;

  const insights: EmuInsight[] = [];
  const span = (shape.end - shape.start) / shape.transcripts;
  for (let k = 0; k < shape.transcripts; k++) {
    const from = shape.start + k * span + 2 * MINUTE;
    const to = k === shape.transcripts - 1 ? shape.end : shape.start + (k + 1) * span;
    insights.push(insight(rng, ctx, topic, attendees, from, to, shape.end + shape.readyAfter));
  }

  return {
    id,
    eventId: `AAMkAG${Buffer.from(rng.hex(96), 'hex').toString('base64url')}AAA=`,
    threadId,
    joinWebUrl,
    subject: topic.subject,
    organizerId: organizer.id,
    attendeeIds: attendees.map((u) => u.id),
    startDateTime: new Date(shape.start).toISOString(),
    endDateTime: new Date(shape.end).toISOString(),
    transcription: shape.transcription ?? shape.transcripts > 0,
    insights,
  };
}

/**
 * Graph's onlineMeeting id is base64("1*{organizer}*0**{threadId}"). Draw thread ids until the
 * id has no '/' or '+', so it travels in a URL path segment without escaping surprises.
 */
function meetingIds(rng: Rng, organizerId: string): { id: string; threadId: string } {
  for (;;) {
    const threadId = `19:meeting_${Buffer.from(rng.guid()).toString('base64')}@thread.v2`;
    const id = Buffer.from(`1*${organizerId}*0**${threadId}`).toString('base64');
    if (!/[+/]/.test(id)) return { id, threadId };
  }
}

function insightId(rng: Rng): string {
  for (;;) {
    const location = Buffer.from(`${rng.guid()},${rng.guid()},${rng.guid()}`).toString('base64');
    const id = Buffer.from(`V1##SPO_${location}_${rng.int(1, 4000)}`).toString('base64');
    if (!/[+/]/.test(id)) return id;
  }
}

function insight(rng: Rng, ctx: MeetingContext, topic: MeetingTopic, attendees: readonly EmuUser[], from: number, to: number, availableAt: number): EmuInsight {
  const firstName = (u: EmuUser) => u.displayName.split(' ')[0] ?? u.displayName;
  const fill = (text: string) => text.replace(/\{attendee\}/g, () => firstName(rng.pick(attendees)));

  const mentionsByUser: Record<string, EmuMention[]> = {};
  for (const user of attendees) {
    const likely = user.id === ctx.demoUser.id ? 0.85 : 0.4;
    const speakers = attendees.filter((u) => u.id !== user.id);
    if (speakers.length === 0 || !rng.chance(likely)) continue;
    mentionsByUser[user.id] = Array.from({ length: rng.int(1, 3) }, () => ({
      speakerId: rng.pick(speakers).id,
      eventDateTime: new Date(from + Math.floor(rng.next() * (to - from))).toISOString(),
      transcriptUtterance: rng.pick(MENTION_UTTERANCES).replace('{name}', firstName(user)),
    })).sort((a, b) => a.eventDateTime.localeCompare(b.eventDateTime));
  }

  return {
    id: insightId(rng),
    callId: rng.guid(),
    contentCorrelationId: `${rng.guid()}-0`,
    createdDateTime: new Date(from).toISOString(),
    endDateTime: new Date(to).toISOString(),
    availableAt: new Date(availableAt).toISOString(),
    meetingNotes: topic.notes.map((n) => ({ title: n.title, text: fill(n.text), subpoints: n.subpoints.map((s) => ({ title: s.title, text: fill(s.text) })) })),
    actionItems: topic.actions.map((a) => ({ title: a.title, text: a.text, ownerDisplayName: rng.pick(attendees).displayName })),
    mentionsByUser,
  };
}
