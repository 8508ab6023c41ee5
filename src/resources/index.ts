import type { McpServer } from '@modelcontextprotocol/server';
import { registerInteractionSession } from './interactionSession.js';
import { registerMeetingInsight } from './meetingInsight.js';
import type { CallRunner } from './runner.js';

/** Every resource template of the server; cheap (no I/O), called by buildServer. */
export function registerResources(server: McpServer, calls: CallRunner): void {
  registerMeetingInsight(server, calls);
  registerInteractionSession(server, calls);
}
