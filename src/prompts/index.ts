import type { McpServer } from '@modelcontextprotocol/server';
import { registerGroundedAnswer } from './groundedAnswer.js';
import { registerLatestMeetingActionItems } from './latestMeetingActionItems.js';
import { registerReviewCopilotActivity } from './reviewCopilotActivity.js';

/** Every prompt of the server; static text (no I/O), called by buildServer. */
export function registerPrompts(server: McpServer): void {
  registerLatestMeetingActionItems(server);
  registerGroundedAnswer(server);
  registerReviewCopilotActivity(server);
}
