import { exportInteractionsTool } from './exportInteractions.js';
import { meetingInsightsTool } from './meetingInsights.js';
import { retrieveTool } from './retrieve.js';
import { statusTool } from './status.js';
import type { ToolDefinition } from './tool.js';

/** The default tool set, in the order tools/list shows it. */
export const ALL_TOOLS: ToolDefinition[] = [retrieveTool, exportInteractionsTool, meetingInsightsTool, statusTool] as unknown as ToolDefinition[];

/** Delegated scopes requested at sign-in: everything the enabled tools need, so one sign-in serves all. */
export function delegatedScopes(tools: ToolDefinition[]): string[] {
  return [...new Set(tools.flatMap((t) => t.permissions.delegated))].sort();
}
