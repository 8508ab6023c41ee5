import { ResourceTemplate, UriTemplate, type McpServer } from '@modelcontextprotocol/server';
import { AppError } from '../errors.js';
import { endedCalendarMeetings, insightSummaries, INSIGHT_SCOPE, meetingByJoinUrl, readInsight, type InsightContent } from '../graph/copilot/meetings.js';
import { signedInUserId } from '../tools/signedInUser.js';
import type { ToolContext } from '../tools/tool.js';
import { MARKDOWN, markdownRead } from './markdownRead.js';
import type { CallRunner } from './runner.js';

export const MEETING_INSIGHT_TEMPLATE = 'm365copilot://meetings/{meetingId}/insights/{insightId}';
/** Parsed once (it holds only the template's parts): HTTP builds a server per request. */
const PARSED_TEMPLATE = new UriTemplate(MEETING_INSIGHT_TEMPLATE);
const COMPLETION_MEETINGS = 10; // each costs one /me/onlineMeetings lookup
const COMPLETION_TIMEOUT_MS = 20_000; // completions carry no cancel signal of their own

/**
 * One meeting insight as markdown. Not listed (finding every insight would cost a calendar read plus
 * two Graph calls per meeting on every resources/list); the template and its completions find them.
 */
export function registerMeetingInsight(server: McpServer, calls: CallRunner): void {
  const template = new ResourceTemplate(PARSED_TEMPLATE, {
    list: undefined,
    complete: {
      meetingId: (value) => completion(calls, 'meetingId', recentMeetingIds, value),
      insightId: (value, context) => {
        const meetingId = lenientDecode(context?.arguments?.['meetingId']);
        return meetingId ? completion(calls, 'insightId', async (ctx) => (await insightSummaries(ctx.graph, await signedInUserId(ctx, [INSIGHT_SCOPE]), meetingId, ctx.signal)).map((i) => i.id), value) : [];
      },
    },
  });
  server.registerResource(
    'meeting_insight',
    template,
    {
      title: 'Teams meeting insight (notes, action items, your mentions)',
      description:
        "A Copilot meeting insight of a Teams meeting you attended, as markdown: notes with subpoints, action items with owners, the moments you were mentioned. meetingId and insightId are percent-encoded; complete them, or take them from copilot_meeting_insights.",
      mimeType: MARKDOWN,
    },
    markdownRead(calls, 'meeting_insight', ['meetingId', 'insightId'], async ({ meetingId, insightId }, ctx) => {
      try {
        return insightMarkdown(meetingId, await readInsight(ctx.graph, await signedInUserId(ctx, [INSIGHT_SCOPE]), meetingId, insightId, ctx.signal));
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'NotFound') throw err;
        throw new AppError('NotFound', `no insight ${insightId} of meeting ${meetingId} is readable for you`, {
          nextStep: 'Check the ids with copilot_meeting_insights (meetingId); insights exist only for transcribed meetings you attended and can take up to 4 hours after the meeting ends.',
          cause: err,
        });
      }
    }),
  );
}

/** Ids of the caller's most recent ended online meetings, newest first (a join URL resolves to the id). */
async function recentMeetingIds(ctx: ToolContext): Promise<string[]> {
  const recent = (await endedCalendarMeetings(ctx.graph, ctx.signal)).slice(0, COMPLETION_MEETINGS);
  const resolved = await Promise.all(recent.map((m) => meetingByJoinUrl(ctx.graph, m.joinUrl, ctx.signal)));
  return [...new Set(resolved.flatMap((m) => (m ? [m.id] : [])))];
}

/** A completion never fails the client's typing: no sign-in yet, a Graph error, a timeout all mean "no suggestions". */
async function completion(calls: CallRunner, variable: string, ids: (ctx: ToolContext) => Promise<string[]>, typed: string): Promise<string[]> {
  try {
    const all = await calls.run(`completion:meeting_insight.${variable}`, {}, {}, AbortSignal.timeout(COMPLETION_TIMEOUT_MS), ids);
    const prefix = lenientDecode(typed)?.toLowerCase() ?? '';
    return all.filter((id) => id.toLowerCase().startsWith(prefix));
  } catch (err) {
    if (err instanceof AppError || (err as Error)?.name === 'TimeoutError') return [];
    throw err;
  }
}

function lenientDecode(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function insightMarkdown(meetingId: string, insight: InsightContent): string {
  const lines = [`# Meeting insight`, '', `- Meeting id: \`${meetingId}\``, `- Insight id: \`${insight.id}\``, '', '## Notes', ''];
  if (!insight.notes.length) lines.push('_No notes._');
  for (const n of insight.notes) {
    lines.push(`- **${oneLine(n.title)}**: ${oneLine(n.text)}`);
    for (const s of n.subpoints) lines.push(`  - **${oneLine(s.title)}**: ${oneLine(s.text)}`);
  }
  lines.push('', '## Action items', '');
  if (!insight.actionItems.length) lines.push('_No action items._');
  for (const a of insight.actionItems) lines.push(`- [ ] **${oneLine(a.title)}**${a.owner ? ` (owner: ${oneLine(a.owner)})` : ''}: ${oneLine(a.text)}`);
  lines.push('', '## Where you were mentioned', '');
  if (!insight.mentions.length) lines.push('_You were not mentioned._');
  for (const m of insight.mentions) lines.push(`- ${m.time ? `${m.time} ` : ''}${oneLine(m.speaker ?? 'Someone')}: “${oneLine(m.utterance)}”`);
  return `${lines.join('\n')}\n`;
}
