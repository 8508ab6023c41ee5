import { isAbsolute, resolve } from 'node:path';
import { AppError } from '../../errors.js';
import { CONFIG_KEYS, type ConfigKeyDoc } from '../../config/schema.js';
import type { Launch } from './clients.js';

/** Settings that hold a secret: they go to the entry's env block, never into args (visible in `ps`). */
const SECRET_KEYS = new Set(['exportClientSecret', 'accessToken', 'serverClientSecret', 'redisKey']);
/** Settings that name a file or directory: made absolute, since the client starts the server in a folder of its own. */
const PATH_KEYS = new Set(['exportCertificatePath', 'stateDir', 'caCertPath', 'emulatorFile', 'auditFile', 'exportDir']);

/**
 * The command a client runs: this very node (process.execPath) and this very CLI file, both
 * absolute, so it works from any folder, without PATH, npx or a registry; plus every setting given
 * to `install`, passed through as the same flag.
 */
export function launchFor(cliPath: string, flags: Record<string, string | boolean | undefined>, nodePath: string, cwd: string): Launch {
  if (flags['http']) {
    throw new AppError('InvalidArgument', 'install configures a client that starts the server over stdio; --http is for a shared server (`m365-copilot-mcp serve --http`).', {
      nextStep: 'Drop --http; for remote mode give the client the server URL instead.',
    });
  }
  const args = [cliPath];
  const env: Record<string, string> = {};
  const configFile = flags['config'];
  if (typeof configFile === 'string') args.push('--config', absolute(configFile, cwd));
  for (const doc of CONFIG_KEYS) {
    const value = flags[doc.flag.slice(2)];
    if (value === undefined || value === false) continue;
    if (value === true) {
      args.push(doc.flag);
      continue;
    }
    if (SECRET_KEYS.has(doc.key)) {
      env[doc.env] = value;
      continue;
    }
    args.push(...flagWithValue(doc, PATH_KEYS.has(doc.key) && !(doc.key === 'auditFile' && value === 'off') ? absolute(value, cwd) : value));
  }
  return { command: nodePath, args, env };
}

const absolute = (path: string, cwd: string) => (isAbsolute(path) ? path : resolve(cwd, path));

/** `--flag value`, or `--flag=value` when the value could be read as a flag of its own (e.g. -1). */
function flagWithValue(doc: ConfigKeyDoc, value: string): string[] {
  return value.startsWith('-') ? [`${doc.flag}=${value}`] : [doc.flag, value];
}
