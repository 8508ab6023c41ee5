import { CLOUDS, type Cloud } from '../graph/clouds.js';
import type { ToolDefinition } from './tool.js';

/**
 * Which Graph API each tool stands on, and in which national clouds that API exists
 * (contract §0 and §5.1). A tool whose API is missing in the configured cloud is not registered:
 * a model should never be offered a tool that can only answer "not found".
 */
export interface ApiAvailability {
  /** The Graph API, as people name it. */
  api: string;
  clouds: readonly Cloud[];
}

const GLOBAL_ONLY: readonly Cloud[] = ['global'];

/** By tool name. Tools not listed (e.g. copilot_status, which only needs /me) work in every cloud. */
export const TOOL_AVAILABILITY: Readonly<Record<string, ApiAvailability>> = {
  copilot_retrieve: { api: 'the Copilot Retrieval API', clouds: GLOBAL_ONLY },
  copilot_export_interactions: { api: 'the Copilot interaction export API', clouds: ['global', 'usgov', 'usgovdod'] },
  copilot_export_interactions_to_file: { api: 'the Copilot interaction export API', clouds: ['global', 'usgov', 'usgovdod'] },
  copilot_meeting_insights: { api: 'the meeting AI insights API', clouds: GLOBAL_ONLY },
  // Behind flags (beta / reports); listed here so they are filtered too once enabled.
  copilot_search: { api: 'the Copilot Search API (beta)', clouds: GLOBAL_ONLY },
  copilot_chat: { api: 'the Copilot Chat API (beta)', clouds: ['global', 'usgov'] },
  copilot_usage_report: { api: 'the Copilot usage reports API', clouds: GLOBAL_ONLY },
};

const CLOUD_NAMES: Readonly<Record<Cloud, string>> = {
  global: 'the global cloud',
  usgov: 'US Government L4 (GCC High)',
  usgovdod: 'US Government L5 (DoD)',
  china: 'China (21Vianet)',
};

export interface UnavailableTool {
  name: string;
  reason: string;
}

/** Why `toolName` cannot work in `cloud`, or undefined when it can. */
export function unavailabilityReason(toolName: string, cloud: Cloud): string | undefined {
  const entry = TOOL_AVAILABILITY[toolName];
  if (!entry || entry.clouds.includes(cloud)) return undefined;
  const where = entry.clouds.map((c) => CLOUD_NAMES[c]).join(', ');
  return `${entry.api} does not exist in ${CLOUD_NAMES[cloud]} (cloud "${cloud}"); Microsoft offers it only in ${where}.`;
}

/** Splits a tool set (whatever the registry enabled) into what this cloud can serve and what it cannot, with reasons. */
export function toolsForCloud<T extends Pick<ToolDefinition, 'name'>>(tools: readonly T[], cloud: string): { available: T[]; unavailable: UnavailableTool[] } {
  const known = (CLOUDS as readonly string[]).includes(cloud) ? (cloud as Cloud) : 'global';
  const available: T[] = [];
  const unavailable: UnavailableTool[] = [];
  for (const tool of tools) {
    const reason = unavailabilityReason(tool.name, known);
    if (reason) unavailable.push({ name: tool.name, reason });
    else available.push(tool);
  }
  return { available, unavailable };
}

/**
 * The cloud whose APIs the server will talk to: the emulator (--demo, --emulator FILE) is a global
 * tenant whatever --cloud says, because its endpoints replace the cloud's.
 */
export function effectiveCloud(config: { cloud: string; demo?: boolean; emulatorFile?: string | undefined }): string {
  return config.demo || config.emulatorFile ? 'global' : config.cloud;
}
