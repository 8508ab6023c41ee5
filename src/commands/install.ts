import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppError } from '../errors.js';
import { clientConfigHome } from '../config/clientConfigHome.js';
import { loadConfig } from '../config/load.js';
import { CONFIG_KEYS } from '../config/schema.js';
import { CLIENT_IDS, CLIENTS, type ClientId } from './install/clients.js';
import { mergeJsonConfig, type Merged } from './install/jsonConfig.js';
import { launchFor } from './install/launch.js';
import { mergeTomlConfig } from './install/tomlConfig.js';
import { readIfPresent, writeWithBackup } from './install/writeConfig.js';

/** A server name every client accepts as a key, and TOML as a bare key. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `m365-copilot-mcp install <client> [--print] [--name N] [--client-config FILE] [server flags…]`:
 * writes (or prints) that client's configuration for this server, launched as this node and this
 * CLI by absolute path, with the server flags given here. Other servers in the file are kept; the
 * old file is backed up first; a file it cannot parse is refused and left as it was.
 */
export async function runInstall(client: string | undefined, cliUrl: string, flags: Record<string, string | boolean | undefined>): Promise<number> {
  if (client === undefined || !(CLIENT_IDS as readonly string[]).includes(client)) {
    process.stderr.write(`m365-copilot-mcp: install needs a client: ${CLIENT_IDS.join(', ')}${client ? ` (not "${client}")` : ''}\n`);
    return 2;
  }
  const target = CLIENTS[client as ClientId];
  const name = typeof flags['name'] === 'string' ? flags['name'] : 'm365-copilot';
  if (!NAME.test(name)) throw new AppError('InvalidArgument', `--name "${name}" is not a usable server name.`, { nextStep: 'Use letters, digits, - and _ only, e.g. --name m365-copilot-demo.' });

  // Flags of other commands (--device-code, --user, …) mean nothing to a server entry: refused, not dropped silently.
  const passable = new Set(['config', ...CONFIG_KEYS.map((d) => d.flag.slice(2))]);
  const own = ['print', 'name', 'client-config'];
  const stray = Object.keys(flags).filter((k) => flags[k] !== undefined && !own.includes(k) && !passable.has(k));
  if (stray.length) {
    process.stderr.write(`m365-copilot-mcp: install does not take ${stray.map((k) => `--${k}`).join(', ')}: it takes --print, --name, --client-config and the server options of \`m365-copilot-mcp --help\`\n`);
    return 2;
  }
  const serverFlags = Object.fromEntries(Object.entries(flags).filter(([k]) => !own.includes(k)));
  // The settings are checked now, as the server would check them, so a typo fails here and not in the client.
  // No environment: what this shell happens to export is not what the client will give the server.
  await loadConfig({ flags: serverFlags, env: {} });
  const cliPath = realpathSync(new URL(cliUrl));
  const launch = launchFor(cliPath, serverFlags, process.execPath, process.cwd());
  const entry = target.entry(launch);

  const path = typeof flags['client-config'] === 'string' ? resolve(flags['client-config']) : target.path(clientConfigHome());
  const existing = await readIfPresent(path);
  const merge = target.format === 'toml' ? mergeTomlConfig : mergeJsonConfig;
  let merged: Merged;
  try {
    merged = merge(existing, path, target.serversKey, name, entry);
  } catch (err) {
    if (!flags['print'] || !(err instanceof AppError) || err.code !== 'ConfigInvalid') throw err;
    // The file cannot be merged, but --print is how to add the entry by hand: print it alone.
    process.stdout.write(merge(undefined, path, target.serversKey, name, entry).text);
    process.stderr.write(`m365-copilot-mcp: ${err.message} Printed above is the "${name}" entry alone, to add to it by hand.\n`);
    return 0;
  }

  if (flags['print']) {
    // The whole file as it would be written, so it can be pasted, or diffed against the current one.
    process.stdout.write(merged.text);
    process.stderr.write(`m365-copilot-mcp: ${target.label} configuration for ${path} printed above; nothing was written.\n`);
    return 0;
  }
  const { backup, written } = await writeWithBackup(path, merged.text, new Date());
  process.stderr.write(
    `m365-copilot-mcp: ${merged.replaced ? 'replaced' : 'added'} the server "${name}" in ${written} (${target.label})` +
      `${backup ? `; the previous file is saved as ${backup}` : ''}.\n` +
      `It runs: ${[launch.command, ...launch.args].join(' ')}\n${target.afterwards}\n`,
  );
  return 0;
}
