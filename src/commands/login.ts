import { spawn } from 'node:child_process';
import { AppError } from '../errors.js';
import { delegatedScopes } from '../tools/registry.js';
import { selectTools, toolChoice } from '../tools/selection.js';
import { withAuthSession } from '../composition/authSession.js';
import { hasNoDisplay } from '../config/host.js';
import type { Config } from '../config/schema.js';

/** How long `login --browser` waits for the browser's redirect before saying what to do instead. */
const BROWSER_SIGN_IN_TIMEOUT_MS = 5 * 60_000;
const DEVICE_CODE_HINT = 'On a machine without a browser (SSH, a container, CI) use `m365-copilot-mcp login --device-code`, which works from any other device.';

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
  if (config.demo) {
    process.stdout.write('Nothing to do: with --demo the server signs in as the emulated tenant\'s demo user by itself, at the first tool call. That tenant lives only as long as the server process, so no sign-in is kept.\n');
    return 0;
  }
  return withAuthSession(config, 'login', async ({ flows, cache }) => {
    const method = flags['browser'] ? 'browser' : 'device-code';
    if (method === 'browser' && hasNoDisplay()) process.stderr.write(`No display here, so no browser will open. ${DEVICE_CODE_HINT}\n`);
    // Consent once for every tool this server will offer: beta tools when enabled, none the cloud lacks.
    const signIn = flows.signIn(method, delegatedScopes(selectTools(toolChoice(config, 'stdio')).offered), {
      onPrompt: (p) => process.stderr.write(`${p.message}\n`),
      openBrowser: openSystemBrowser,
    });
    const account = method === 'browser' ? await withTimeout(signIn, BROWSER_SIGN_IN_TIMEOUT_MS) : await signIn;
    process.stdout.write(`Signed in as ${account.upn} (tenant ${account.tenantId}). Tokens are kept in: ${cache.info.kind} (${cache.info.location}).\n`);
    return 0;
  });
}

/** `m365-copilot-mcp logout [--account UPN | --all]` */
export async function runLogout(config: Config, flags: Record<string, string | boolean | undefined>): Promise<number> {
  return withAuthSession(config, 'logout', async ({ accounts, cache, endpoints }) => {
    // Forgetting everything needs no app registration: the whole cache goes.
    if (flags['all'] === true && !endpoints.publicClientId) {
      await cache.clear();
      process.stdout.write(`Signed out of every account: the token cache (${cache.info.kind}) is empty.\n`);
      return 0;
    }
    const removed = await accounts.signOut({ all: flags['all'] === true, ...(config.account ? { upn: config.account } : {}) });
    // MSAL's removeAccount rewrites the cache through the plugin; --all also drops partitions of other clouds.
    if (flags['all'] === true) await cache.clear();
    process.stdout.write(removed.length ? `Signed out: ${removed.join(', ')}.\n` : 'No matching signed-in account.\n');
    return 0;
  });
}

/** The browser flow waits for a redirect that never comes when nobody can open the page: stop, and say what works. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError('AuthFailed', `no browser sign-in finished within ${Math.round(ms / 60_000)} minutes`, { nextStep: DEVICE_CODE_HINT })),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
