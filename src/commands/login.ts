import { spawn } from 'node:child_process';
import { AppError } from '../errors.js';
import { delegatedScopes } from '../tools/registry.js';
import { selectTools, toolChoice } from '../tools/selection.js';
import { withAuthSession } from '../composition/authSession.js';
import type { Config } from '../config/schema.js';

/** Opens the system browser where there is one; otherwise the URL printed on stderr is the way. */
async function openSystemBrowser(url: string): Promise<void> {
  process.stderr.write(`Opening the browser for sign-in. If it does not open, visit:\n  ${url}\n`);
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer.exe' : 'xdg-open';
  await new Promise<void>((resolve) => {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve()); // no opener here: the printed URL is enough
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/** `m365-copilot-mcp login [--device-code|--browser] [--tenant T] [--account UPN]` */
export async function runLogin(config: Config, flags: Record<string, string | boolean | undefined>): Promise<number> {
  if (flags['device-code'] && flags['browser']) throw new AppError('InvalidArgument', 'choose one of --device-code and --browser', { nextStep: 'Drop one of the two flags.' });
  return withAuthSession(config, 'login', async ({ flows, cache }) => {
    const method = flags['browser'] ? 'browser' : 'device-code';
    // Consent once for every tool this server will offer: beta tools when enabled, none the cloud lacks.
    const account = await flows.signIn(method, delegatedScopes(selectTools(toolChoice(config, 'stdio')).offered), {
      onPrompt: (p) => process.stderr.write(`${p.message}\n`),
      openBrowser: openSystemBrowser,
    });
    process.stdout.write(`Signed in as ${account.upn} (tenant ${account.tenantId}). Tokens are kept in: ${cache.info.kind} (${cache.info.location}).\n`);
    return 0;
  });
}

/** `m365-copilot-mcp logout [--account UPN | --all]` */
export async function runLogout(config: Config, flags: Record<string, string | boolean | undefined>): Promise<number> {
  return withAuthSession(config, 'logout', async ({ accounts, cache }) => {
    const removed = await accounts.signOut({ all: flags['all'] === true, ...(config.account ? { upn: config.account } : {}) });
    // MSAL's removeAccount rewrites the cache through the plugin; --all also drops partitions of other clouds.
    if (flags['all'] === true) await cache.clear();
    process.stdout.write(removed.length ? `Signed out: ${removed.join(', ')}.\n` : 'No matching signed-in account.\n');
    return 0;
  });
}
