import type { McpServer } from '@modelcontextprotocol/server';
import { registerGroundedAnswer } from './groundedAnswer.js';
import { registerLatestMeetingActionItems } from './latestMeetingActionItems.js';
import { registerReviewCopilotActivity } from './reviewCopilotActivity.js';
import { exportInteractionsTool } from '../tools/exportInteractions.js';
import { meetingInsightsTool } from '../tools/meetingInsights.js';
import { retrieveTool } from '../tools/retrieve.js';

/** Every prompt of the server; static text (no I/O), called by buildServer. A prompt leads to one tool, so it is offered only with it. */
export function registerPrompts(server: McpServer, offeredTools: ReadonlySet<string>): void {
  if (offeredTools.has(meetingInsightsTool.name)) registerLatestMeetingActionItems(server);
  if (offeredTools.has(retrieveTool.name)) registerGroundedAnswer(server);
  if (offeredTools.has(exportInteractionsTool.name)) registerReviewCopilotActivity(server);
}
