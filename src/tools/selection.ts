import { AppError } from '../errors.js';
import { CLOUDS, effectiveCloud, type Cloud } from '../graph/clouds.js';
import { BETA_FLAG, TOOLS } from './registry.js';
import { TOOLSETS, type ToolDefinition } from './tool.js';

/** What decides the offered tools, as the configuration and the host say. */
export interface ToolChoice {
  /** The cloud whose APIs the server talks to (the emulator is global: see effectiveCloud). */
  cloud: string;
  /** --toolsets: only tools of these toolsets (with --tools: either). */
  toolsets?: readonly string[] | undefined;
  /** --tools: only these tools (with --toolsets: either). */
  tools?: readonly string[] | undefined;
  enableBeta: boolean;
  /** stdio: one local user, who may allow local files; http: many remote users. */
  transport: 'stdio' | 'http';
  /** The export directory the user allowed (stdio); file-writing tools need it. */
  exportDir?: string | undefined;
}

export interface UnavailableTool {
  name: string;
  reason: string;
}

export interface ToolSelection {
  offered: ToolDefinition[];
  /** Tools left out because their Graph API does not exist in this cloud, with the reason. */
  unavailable: UnavailableTool[];
}

const CLOUD_NAMES: Readonly<Record<Cloud, string>> = {
  global: 'the global cloud',
  usgov: 'US Government L4 (GCC High)',
  usgovdod: 'US Government L5 (DoD)',
  china: 'China (21Vianet)',
};

/** Why `tool` cannot work in `cloud`, or undefined when it can. A model is never offered a tool that can only answer "not found". */
export function cloudReason(tool: Pick<ToolDefinition, 'api'>, cloud: string): string | undefined {
  const known: Cloud = (CLOUDS as readonly string[]).includes(cloud) ? (cloud as Cloud) : 'global';
  if (tool.api.clouds.includes(known)) return undefined;
  const where = tool.api.clouds.map((c) => CLOUD_NAMES[c]).join(', ');
  return `${tool.api.name} does not exist in ${CLOUD_NAMES[known]} (cloud "${known}"); Microsoft offers it only in ${where}.`;
}

/**
 * The one filter, always in this order: cloud → --toolsets / --tools → the beta flag → what the host
 * provides. Unknown names are refused at start with the valid ones listed; so is a beta tool named
 * without --enable-beta (silently dropping what someone asked for by name would hide their mistake).
 */
export function selectTools(choice: ToolChoice, all: readonly ToolDefinition[] = TOOLS): ToolSelection {
  checkNames(choice, all);
  const unavailable: UnavailableTool[] = [];
  const inCloud = all.filter((tool) => {
    const reason = cloudReason(tool, choice.cloud);
    if (reason) unavailable.push({ name: tool.name, reason });
    return !reason;
  });
  const narrowed = choice.toolsets?.length || choice.tools?.length;
  const chosen = narrowed ? inCloud.filter((t) => choice.toolsets?.includes(t.toolset) || choice.tools?.includes(t.name)) : inCloud;
  const released = choice.enableBeta ? chosen : chosen.filter((t) => t.stability !== 'beta');
  const hostHas = (need: string) => need === 'localFiles' && choice.transport === 'stdio' && !!choice.exportDir;
  return { offered: released.filter((t) => (t.needs ?? []).every(hostHas)), unavailable };
}

function checkNames(choice: ToolChoice, all: readonly ToolDefinition[]): void {
  const unknownTools = (choice.tools ?? []).filter((name) => !all.some((t) => t.name === name));
  const unknownSets = (choice.toolsets ?? []).filter((name) => !(TOOLSETS as readonly string[]).includes(name));
  if (unknownTools.length || unknownSets.length) {
    const parts = [
      ...(unknownTools.length ? [`unknown tool(s) ${unknownTools.join(', ')} in --tools; valid: ${all.map((t) => t.name).join(', ')}`] : []),
      ...(unknownSets.length ? [`unknown toolset(s) ${unknownSets.join(', ')} in --toolsets; valid: ${TOOLSETS.join(', ')}`] : []),
    ];
    throw new AppError('ConfigInvalid', parts.join('; '), { nextStep: 'Fix the names in --tools / --toolsets (M365_COPILOT_MCP_TOOLS / M365_COPILOT_MCP_TOOLSETS).' });
  }
  if (choice.enableBeta) return;
  const betaByName = all.filter((t) => t.stability === 'beta' && (choice.tools?.includes(t.name) || choice.toolsets?.includes(t.toolset)));
  if (betaByName.length)
    throw new AppError('ConfigInvalid', `${betaByName.map((t) => t.name).join(', ')} ${betaByName.length > 1 ? 'are beta tools' : 'is a beta tool'} (a preview Graph API), named in --tools / --toolsets without ${BETA_FLAG}`, {
      nextStep: `Add ${BETA_FLAG} to offer preview tools, or leave them out of --tools / --toolsets.`,
    });
}

// The rule lives with the clouds (zod-free): the fast start applies it before the tools load.
export { effectiveCloud };

/** The choice a configuration makes, for a transport. */
export function toolChoice(
  config: { cloud: string; demo?: boolean; emulatorFile?: string | undefined; toolsets?: string[] | undefined; tools?: string[] | undefined; enableBeta: boolean; exportDir?: string | undefined },
  transport: ToolChoice['transport'],
): ToolChoice {
  return { cloud: effectiveCloud(config), toolsets: config.toolsets, tools: config.tools, enableBeta: config.enableBeta, transport, exportDir: config.exportDir };
}

/** A request's own narrowing (over HTTP: the X-MCP-Toolsets / X-MCP-Tools headers); both empty means no narrowing. */
export interface RequestNarrowing {
  toolsets: readonly string[];
  tools: readonly string[];
}

/**
 * What one request is offered: the server's own selection, narrowed to the named toolsets and tools
 * (either, as with --toolsets / --tools), never widened. A name that is not a tool or toolset at all,
 * or one this server does not offer, is refused with the names that would work: a client that asked
 * for a tool by name and silently got none would not know why.
 */
export function narrowForRequest(offered: readonly ToolDefinition[], narrowing: RequestNarrowing, all: readonly ToolDefinition[] = TOOLS): readonly ToolDefinition[] {
  if (!narrowing.toolsets.length && !narrowing.tools.length) return offered;
  const offeredSets: string[] = [...new Set(offered.map((t) => t.toolset))];
  const problems: string[] = [];
  for (const name of narrowing.tools) {
    if (offered.some((t) => t.name === name)) continue;
    problems.push(all.some((t) => t.name === name) ? `tool ${name} is not offered by this server` : `unknown tool ${name}`);
  }
  for (const name of narrowing.toolsets) {
    if (offeredSets.includes(name)) continue;
    problems.push((TOOLSETS as readonly string[]).includes(name) ? `toolset ${name} has no tool this server offers` : `unknown toolset ${name}`);
  }
  if (problems.length)
    throw new AppError('InvalidArgument', `${problems.join('; ')} (X-MCP-Tools / X-MCP-Toolsets)`, {
      nextStep: `Name only what this server offers: tools ${offered.map((t) => t.name).join(', ')}; toolsets ${offeredSets.join(', ')}. Or send neither header for all of them.`,
    });
  return offered.filter((t) => narrowing.toolsets.includes(t.toolset) || narrowing.tools.includes(t.name));
}
