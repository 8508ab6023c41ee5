import type { McpServer } from '@modelcontextprotocol/server';
import { registerInteractionSession } from './interactionSession.js';
import { registerMeetingInsight } from './meetingInsight.js';
import type { CallRunner } from './runner.js';
import { exportInteractionsTool } from '../tools/exportInteractions.js';
import { meetingInsightsTool } from '../tools/meetingInsights.js';

/**
 * Every resource template of the server; cheap (no I/O), called by buildServer. Each stands on a
 * tool's API, permissions and rules, so it is offered only where that tool is.
 */
export function registerResources(server: McpServer, calls: CallRunner, offeredTools: ReadonlySet<string>): void {
  if (offeredTools.has(meetingInsightsTool.name)) registerMeetingInsight(server, calls);
  if (offeredTools.has(exportInteractionsTool.name)) registerInteractionSession(server, calls);
}
