import { chatTool } from './chat.js';
import { exportInteractionsTool } from './exportInteractions.js';
import { exportToFileTool } from './exportToFile.js';
import { meetingInsightsTool } from './meetingInsights.js';
import { retrieveTool } from './retrieve.js';
import { searchTool } from './search.js';
import { statusTool } from './status.js';
import type { ToolDefinition } from './tool.js';
import { usageReportTool } from './usageReport.js';

/**
 * Every tool, in the order tools/list shows them. Each definition carries everything else about it
 * (toolset, stability, clouds, permissions, host needs); what a configuration offers is derived in
 * selection.ts, and nothing else lists tools by name.
 */
export const TOOLS: readonly ToolDefinition[] = [
  retrieveTool,
  exportInteractionsTool,
  exportToFileTool,
  meetingInsightsTool,
  usageReportTool,
  statusTool,
  chatTool,
  searchTool,
];

export const BETA_FLAG = '--enable-beta';

/** Delegated scopes requested at sign-in: everything the offered tools need, so one sign-in serves all. */
export function delegatedScopes(tools: readonly ToolDefinition[]): string[] {
  return [...new Set(tools.flatMap((t) => t.permissions.delegated))].sort();
}
