import type { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { isoInstant, userRef } from '../tools/export/refs.js';
import { userMessage } from './message.js';

// The export tool's own argument rules, so a prompt cannot lead to a call the tool would refuse.
const args = z
  .object({
    userId: userRef.describe('Whose activity: Entra object id or user principal name.'),
    since: isoInstant.describe('Start of the date range (ISO 8601, e.g. 2026-11-01).'),
    until: isoInstant.describe('End of the date range (ISO 8601, e.g. 2026-11-30).'),
  })
  .superRefine((a, ctx) => {
    if (Date.parse(a.since) >= Date.parse(a.until)) ctx.addIssue({ code: 'custom', path: ['until'], message: 'until must be later than since' });
  });

export function registerReviewCopilotActivity(server: McpServer): void {
  server.registerPrompt(
    'review_copilot_activity',
    {
      title: "Review a user's Copilot activity for a date range",
      description: "Summarises one user's Microsoft 365 Copilot prompts and responses between two dates (compliance review; needs the app-only export).",
      argsSchema: args,
    },
    ({ userId, since, until }) =>
      userMessage(
        [
          `Call the tool copilot_export_interactions with ${JSON.stringify({ userId, since, until, limit: 200 })}.`,
          'While the result has nextCursor, call it again with the same arguments plus "cursor": <nextCursor>, until you have every exchange.',
          'Then report: the number of exchanges per app; the main topics the user asked about; a short table of notable exchanges (time, app, prompt gist, response gist);',
          'and anything a compliance reviewer should look at (sensitive data in prompts, files or links shared, external content). Quote prompts sparingly and never invent exchanges.',
          'If the tool answers Forbidden or says export is not configured, report that error and its next step instead.',
        ].join('\n'),
      ),
  );
}
