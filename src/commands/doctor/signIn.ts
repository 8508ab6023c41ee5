import type { AccountInfo, PublicClientApplication } from '@azure/msal-node';
import { createNetworkClient } from '../../auth/networkClient.js';
import { peekClaims } from '../../auth/jwtClaims.js';
import { tokenCacheFor } from '../../composition/endpointSource.js';
import { delegatedTools, errorText, skip, type DoctorCheck } from './check.js';

const LOGIN = 'Run `m365-copilot-mcp login` (add the same --tenant/--cloud/--emulator settings as the server).';

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms)));
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Is someone signed in, and can their session still get a token? Only the cache and a silent refresh
 * are used: doctor never starts a sign-in and never forgets an account.
 */
export const signInCheck: DoctorCheck = {
  id: 'sign-in',
  title: 'Sign-in state',
  async run(state) {
    const { config, endpoints: ep } = state;
    if (!config || !ep) return skip('needs a valid configuration');
    // Remote callers bring their own tokens; the server app check covers what they depend on.
    if (config.http) return skip('HTTP mode: each caller signs in with their own token (see the server app check)');
    const affected = delegatedTools(state);
    if (config.accessToken) {
      const claims = peekClaims(config.accessToken) ?? {};
      const scopes = (claims.scp ?? '').split(' ').filter(Boolean);
      const upn = claims.upn ?? claims.preferred_username ?? 'unknown user';
      const exp = claims.exp ?? 0;
      if (exp && exp * 1000 < Date.now()) return { status: 'fail', detail: `the provided access token (for ${upn}) expired at ${new Date(exp * 1000).toISOString()}`, fix: 'Supply a fresh token (M365_COPILOT_MCP_ACCESS_TOKEN) or remove it and sign in.', tools: affected };
      state.delegated = {
        accessToken: config.accessToken,
        upn,
        scopes,
        acquire: async (wanted) => {
          const missing = wanted.filter((s) => !scopes.some((g) => g.toLowerCase() === s.toLowerCase()));
          if (missing.length) throw new Error(`the provided token lacks ${missing.join(', ')}`);
          return { scopes };
        },
      };
      return { status: 'pass', detail: `using a provided access token for ${upn}${exp ? `, valid until ${new Date(exp * 1000).toISOString()}` : ''} (no sign-in)` };
    }
    if (config.demo) return skip(`--demo signs in as the emulated tenant's demo user (${ep.demoUser ?? 'demo'}) at the first tool call; nothing is cached between runs`);
    if (!ep.publicClientId) return skip('no client id for delegated sign-in (see Configuration)');
    if (!state.authorityReachable) return skip('needs the identity authority');
    let pca: PublicClientApplication;
    let accounts: AccountInfo[];
    try {
      state.cache = await tokenCacheFor(config, state.log);
      const msal = await import('@azure/msal-node');
      pca = new msal.PublicClientApplication({
        auth: { clientId: ep.publicClientId, authority: ep.authority, knownAuthorities: ep.knownAuthorities },
        ...(state.cache.plugin ? { cache: { cachePlugin: state.cache.plugin } } : {}),
        system: {
          networkClient: createNetworkClient({ ...(ep.extraCaPem ? { extraCaPem: ep.extraCaPem } : {}), ...(ep.onlyExtraCa ? { onlyExtraCa: true } : {}), timeoutMs: 15_000 }),
          loggerOptions: { piiLoggingEnabled: false, logLevel: 0, loggerCallback: () => {} },
        },
      });
      const host = new URL(ep.authority).host.toLowerCase();
      accounts = (await pca.getTokenCache().getAllAccounts()).filter((a) => a.environment.toLowerCase() === host);
    } catch (err) {
      return { status: 'fail', detail: `cannot read the token cache: ${errorText(err)}`, fix: 'Check --state-dir and --token-cache; `m365-copilot-mcp status` shows the cache backend.', tools: affected };
    }
    const account = config.account ? accounts.find((a) => a.username.toLowerCase() === config.account!.toLowerCase()) : accounts[0];
    if (!account)
      return {
        status: 'fail',
        detail: accounts.length && config.account ? `${config.account} is not signed in (cached: ${accounts.map((a) => a.username).join(', ')})` : `not signed in (token cache: ${state.cache.info.kind})`,
        fix: LOGIN,
        tools: affected,
      };
    const prefix = `${ep.graphResource}/`.toLowerCase();
    const bare = (scopes: string[]) => scopes.map((s) => (s.toLowerCase().startsWith(prefix) ? s.slice(prefix.length) : s)).filter((s) => !['openid', 'profile', 'offline_access', 'email'].includes(s));
    const acquire = async (wanted: string[]) => {
      const result = await withDeadline(pca.acquireTokenSilent({ account, scopes: wanted.map((s) => `${ep.graphResource}/${s}`) }), 20_000, 'a silent token request');
      return { scopes: bare(result.scopes), accessToken: result.accessToken };
    };
    try {
      const first = await acquire(['User.Read']);
      state.delegated = { accessToken: first.accessToken, upn: account.username, scopes: first.scopes, acquire };
    } catch (err) {
      return { status: 'fail', detail: `${account.username} is cached, but the session cannot get a token silently: ${errorText(err)}`, fix: LOGIN, tools: affected };
    }
    return { status: 'pass', detail: `signed in as ${account.username} (tenant ${account.tenantId}; ${accounts.length} cached account${accounts.length === 1 ? '' : 's'}; cache ${state.cache.info.kind})` };
  },
};

