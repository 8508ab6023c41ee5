import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { AppError } from '../errors.js';
import { envSetting, parseBooleanSetting } from './keys.js';
import { CONFIG_KEYS, ConfigSchema, type Config, type ConfigKeyDoc } from './schema.js';

export type RawConfig = Record<string, unknown>;

/** The environment is read here and nowhere else. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RawConfig {
  const out: RawConfig = {};
  for (const doc of CONFIG_KEYS) {
    const raw = envSetting(doc, env);
    if (raw === undefined) continue;
    out[doc.key] = coerce(doc, raw, doc.env);
  }
  return out;
}

export function configFromFlags(flags: Record<string, string | boolean | undefined>): RawConfig {
  const out: RawConfig = {};
  for (const doc of CONFIG_KEYS) {
    const name = doc.flag.slice(2);
    const raw = flags[name];
    if (raw === undefined) continue;
    out[doc.key] = typeof raw === 'boolean' ? raw : coerce(doc, raw, doc.flag);
  }
  return out;
}

function coerce(doc: ConfigKeyDoc, raw: string, source: string): unknown {
  if (doc.kind === 'boolean') {
    const value = parseBooleanSetting(raw);
    if (value !== undefined) return value;
    throw new AppError('ConfigInvalid', `${source} must be true or false, got "${raw}"`, { nextStep: `Set ${source} to true or false.` });
  }
  if (doc.kind === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new AppError('ConfigInvalid', `${source} must be a number, got "${raw}"`, { nextStep: `Set ${source} to a number.` });
    return n;
  }
  return raw;
}

export async function configFromFile(path: string): Promise<RawConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AppError('ConfigInvalid', `cannot read config file ${path}`, { cause, nextStep: 'Check the --config path (or M365_COPILOT_MCP_CONFIG).' });
  }
  let parsed: unknown;
  try {
    // Editors on Windows save UTF-8 with a byte-order mark, which JSON.parse refuses.
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (cause) {
    throw new AppError('ConfigInvalid', `config file ${path} is not valid JSON: ${(cause as Error).message}`, { cause, nextStep: 'Fix the JSON syntax in the config file.' });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AppError('ConfigInvalid', `config file ${path} must hold a JSON object`, { nextStep: 'Write the settings as one JSON object, e.g. {"tenantId": "…"}.' });
  }
  return parsed as RawConfig;
}

/** Merge the sources and validate once; every problem names the setting and where it can be set. */
export function resolveConfig(...layers: RawConfig[]): Config {
  const merged: RawConfig = {};
  for (const layer of layers) for (const [k, v] of Object.entries(layer)) if (v !== undefined) merged[k] = v;
  const result = ConfigSchema.safeParse(merged);
  if (result.success) {
    if (result.data.demo && result.data.emulatorFile)
      throw new AppError('ConfigInvalid', '--demo and --emulator both choose the tenant: --demo starts one in this process, --emulator uses a running one', {
        nextStep: 'Keep one of the two (check M365_COPILOT_MCP_DEMO and M365_COPILOT_MCP_EMULATOR too).',
      });
    return result.data;
  }
  throw new AppError('ConfigInvalid', `invalid configuration: ${describeIssues(result.error)}`, {
    nextStep: 'Fix the setting named above (flag, M365_COPILOT_MCP_* variable or config file key); `m365-copilot-mcp --help` lists them all.',
  });
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const key = String(issue.path[0] ?? '');
      const doc = CONFIG_KEYS.find((d) => d.key === key);
      const where = doc ? `${key} (${doc.flag} / ${doc.env})` : key || 'config';
      if (issue.code === 'unrecognized_keys') return `unknown setting(s) ${issue.keys.join(', ')}`;
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

export async function loadConfig(opts: {
  flags: Record<string, string | boolean | undefined>;
  env?: NodeJS.ProcessEnv;
}): Promise<Config> {
  const env = opts.env ?? process.env;
  const fileFlag = opts.flags['config'];
  const filePath = typeof fileFlag === 'string' ? fileFlag : env['M365_COPILOT_MCP_CONFIG'];
  const fromFile = filePath ? await configFromFile(filePath) : {};
  return resolveConfig({ stateDir: defaultStateDir(env) }, fromFile, configFromEnv(env), configFromFlags(opts.flags));
}

/** The per-user state directory of the platform (XDG on Linux), for the token cache. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = env['HOME'] ?? env['USERPROFILE'] ?? homedir();
  if (platform === 'win32') return join(env['LOCALAPPDATA'] ?? join(home, 'AppData', 'Local'), 'm365-copilot-mcp');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'm365-copilot-mcp');
  return join(env['XDG_STATE_HOME'] ?? join(home, '.local', 'state'), 'm365-copilot-mcp');
}

/** Variables that look like ours but are not settings: a typo sets nothing, so say so. */
export function unknownEnvironment(env: NodeJS.ProcessEnv = process.env): { name: string; suggestion?: string }[] {
  const known = new Set([...CONFIG_KEYS.map((d) => d.env), 'M365_COPILOT_MCP_CONFIG']);
  return Object.keys(env)
    .filter((name) => name.startsWith('M365_COPILOT_MCP_') && !known.has(name))
    .map((name) => {
      const suggestion = nearest(name, [...known]);
      return suggestion ? { name, suggestion } : { name };
    });
}

/** The closest candidate within a few edits, for "did you mean". */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 4)) ? best.candidate : undefined;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}
