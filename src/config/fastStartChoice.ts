import { parseArgs } from 'node:util';
import { options } from '../cliOptions.js';
import { effectiveCloud } from '../graph/clouds.js';
import { CONFIG_KEYS, envSetting, parseBooleanSetting } from './keys.js';

/**
 * What `initialize` and `tools/list` answer depends only on the offered tools, the package version
 * and the protocol version. The offered tools depend on the cloud, --toolsets/--tools, --enable-beta
 * and --export-dir (tools/selection.ts); the fast start handles the global cloud without narrowing,
 * so what is left are these two switches.
 */
export interface SurfaceVariant {
  enableBeta: boolean;
  /** --export-dir is set (stdio): the file-writing export tool is offered. */
  exportFiles: boolean;
}

export type FastStartChoice = { variant: SurfaceVariant } | { skip: string };

/**
 * Which pre-rendered answers this start may send, read from argv and the environment exactly as the
 * CLI reads them (cliOptions.ts, config/keys.ts) but without validating anything: zod is what the
 * fast start runs before. Anything it cannot tell for sure without the schema — a config file, a
 * narrowed tool list, another cloud, a command, a value the CLI would refuse — skips the fast start,
 * and the server answers as it always did once loaded. A setting the schema refuses otherwise (say
 * --port abc) still stops the server with its error, after the answers were sent.
 */
export function fastStartChoice(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): FastStartChoice {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch {
    return { skip: 'the command line is one the CLI refuses' };
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (parsed.positionals.length > 1 || (parsed.positionals[0] ?? 'serve') !== 'serve') return { skip: 'a command other than the stdio server' };
  if (values['help'] || values['version']) return { skip: '--help or --version' };
  if (values['config'] !== undefined || env['M365_COPILOT_MCP_CONFIG']) return { skip: 'a config file (read by the schema)' };
  const raw = (key: string): string | boolean | undefined => {
    const doc = CONFIG_KEYS.find((d) => d.key === key)!;
    // A flag wins over the environment, as the config loader's layers do.
    return values[doc.flag.slice(2)] ?? envSetting(doc, env);
  };
  const flag = (key: string): boolean | undefined => {
    const v = raw(key);
    return v === undefined ? false : typeof v === 'boolean' ? v : parseBooleanSetting(v);
  };
  const [http, off, demo, enableBeta] = ['http', 'noFastStart', 'demo', 'enableBeta'].map(flag);
  if (http === undefined || off === undefined || demo === undefined || enableBeta === undefined) return { skip: 'a boolean setting the CLI refuses' };
  if (http) return { skip: 'HTTP mode' };
  if (off) return { skip: '--no-fast-start' };
  if (raw('toolsets') !== undefined || raw('tools') !== undefined) return { skip: '--toolsets / --tools' };
  const [cloud, emulatorFile] = ['cloud', 'emulatorFile'].map(raw);
  if (effectiveCloud({ cloud: typeof cloud === 'string' ? cloud : 'global', demo, emulatorFile: typeof emulatorFile === 'string' ? emulatorFile : undefined }) !== 'global') return { skip: 'a national cloud' };
  const exportDir = raw('exportDir');
  if (exportDir === '') return { skip: 'an empty --export-dir' };
  return { variant: { enableBeta, exportFiles: typeof exportDir === 'string' } };
}
