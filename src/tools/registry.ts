import type { Config } from '../config/schema.js';
import { effectiveCloud, toolsForCloud, type UnavailableTool } from './availability.js';
import { chatTool } from './chat.js';
import { exportInteractionsTool } from './exportInteractions.js';
import { exportToFileTool } from './exportToFile.js';
import { meetingInsightsTool } from './meetingInsights.js';
import { retrieveTool } from './retrieve.js';
import { searchTool } from './search.js';
import { statusTool } from './status.js';
import type { ToolDefinition } from './tool.js';
import { usageReportTool } from './usageReport.js';

/** The default tool set, in the order tools/list shows it. */
export const ALL_TOOLS: ToolDefinition[] = [retrieveTool, exportInteractionsTool, exportToFileTool, meetingInsightsTool, usageReportTool, statusTool] as unknown as ToolDefinition[];

/** Tools on preview (beta) Graph APIs, offered only with --enable-beta (config enableBeta). */
export const BETA_TOOLS: ToolDefinition[] = [chatTool, searchTool] as unknown as ToolDefinition[];
export const BETA_FLAG = '--enable-beta';

export type Transport = 'stdio' | 'http';

/**
 * The tool surface chosen at startup from the configuration and the host: a tool that writes local
 * files exists only over stdio (over HTTP a path would name the server's disk) and only once the
 * user named an export directory.
 */
export function enabledTools(config: Pick<Config, 'enableBeta' | 'exportDir'>, transport: Transport = 'stdio'): ToolDefinition[] {
  const hostHas = (need: string) => need === 'localFiles' && transport === 'stdio' && !!config.exportDir;
  return (config.enableBeta ? [...ALL_TOOLS, ...BETA_TOOLS] : ALL_TOOLS).filter((t) => (t.needs ?? []).every(hostHas));
}

/**
 * What this configuration offers: the enabled tools minus those whose API the selected cloud lacks
 * (with the reason for each). The servers, `login` and `doctor` all ask here, so they agree.
 */
export function offeredTools(
  config: Pick<Config, 'enableBeta' | 'exportDir' | 'cloud' | 'demo' | 'emulatorFile'>,
  transport: Transport = 'stdio',
): { enabled: ToolDefinition[]; available: ToolDefinition[]; unavailable: UnavailableTool[] } {
  const enabled = enabledTools(config, transport);
  return { enabled, ...toolsForCloud(enabled, effectiveCloud(config)) };
}

/** Delegated scopes requested at sign-in: everything the enabled tools need, so one sign-in serves all. */
export function delegatedScopes(tools: ToolDefinition[]): string[] {
  return [...new Set(tools.flatMap((t) => t.permissions.delegated))].sort();
}
