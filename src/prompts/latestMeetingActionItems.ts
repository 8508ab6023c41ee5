import type { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { userMessage } from './message.js';

const args = z.object({
  joinUrl: z.string().url().max(4096).optional().describe('Teams join link of the meeting; leave empty for your most recent meeting.'),
});

export function registerLatestMeetingActionItems(server: McpServer): void {
  server.registerPrompt(
    'meeting_action_items',
    {
      title: 'Action items from my latest meeting',
      description: 'Lists the action items (with owners) of your most recent Teams meeting, or of the meeting whose join link you give, and what you were mentioned for.',
      argsSchema: args,
    },
    ({ joinUrl }) =>
      userMessage(
        [
          joinUrl
            ? `Call the tool copilot_meeting_insights with {"joinUrl": ${JSON.stringify(joinUrl)}}.`
            : 'Call the tool copilot_meeting_insights with {"latest": true} to open my most recent Teams meeting that has ended.',
          'If its status is not "ready", tell me the message it gave (for notReady, when to try again); then, if the result has latestReady, say that its meeting is the most recent one with ready insights and use it below, otherwise stop.',
          'Otherwise answer with the meeting subject and date, then the action items as a checklist: "- [ ] <title> — <owner, or unassigned>: <text>", those owned by me first.',
          'After the list, add one line per moment I was mentioned (speaker and what was said), if any. Do not invent action items that are not in the result.',
        ].join('\n'),
      ),
  );
}
