import { withAuthSession } from '../composition/authSession.js';
import type { Config } from '../config/schema.js';

interface CachedAccessToken {
  home_account_id?: string;
  target?: string;
  expires_on?: string;
}

/**
 * `m365-copilot-mcp status [--json]`: accounts, tenant, cloud, granted scopes, token expiry and the
 * cache backend; never a secret. Exit 0 when signed in, 1 when not.
 */
export async function runStatus(config: Config, flags: Record<string, string | boolean | undefined>): Promise<number> {
  return withAuthSession(config, 'status', async ({ endpoints, cache, accounts: store }) => {
    const accounts = endpoints.publicClientId ? await store.accounts() : [];
    const snapshot = endpoints.publicClientId ? (JSON.parse(await store.cacheSnapshot()) as { AccessToken?: Record<string, CachedAccessToken> }) : {};
    const prefix = `${endpoints.graphResource}/`.toLowerCase();
    const tokens = Object.values(snapshot.AccessToken ?? {});
    const report = {
      signedIn: accounts.length > 0,
      cloud: endpoints.cloud,
      tenantSource: endpoints.tenantSource,
      authority: endpoints.authority,
      graphBaseUrl: endpoints.graphBaseUrl,
      cache: cache.info,
      notices: cache.notices(),
      selectedAccount: config.account ?? accounts[0]?.upn,
      accounts: accounts.map((a) => {
        const own = tokens.filter((t) => t.home_account_id === a.homeAccountId);
        const scopes = [...new Set(own.flatMap((t) => (t.target ?? '').split(' ')).filter(Boolean).map((s) => (s.toLowerCase().startsWith(prefix) ? s.slice(prefix.length) : s)))].sort();
        const expiry = Math.max(0, ...own.map((t) => Number(t.expires_on ?? 0)));
        return { upn: a.upn, userId: a.userId, tenantId: a.tenantId, scopes, accessTokenExpiresAt: expiry ? new Date(expiry * 1000).toISOString() : null };
      }),
      exportApp: endpoints.exportApp ? { clientId: endpoints.exportApp.clientId, credential: endpoints.exportApp.certificate ? 'certificate' : 'secret' } : null,
    };
    if (flags['json']) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const lines = [
        report.signedIn ? `Signed in (${report.accounts.length} account${report.accounts.length === 1 ? '' : 's'}).` : 'Not signed in. Run `m365-copilot-mcp login`.',
        `Cloud: ${report.cloud}${report.tenantSource === 'emulator' ? ' (emulated tenant)' : ''}; authority ${report.authority}; Graph ${report.graphBaseUrl}`,
        `Token cache: ${cache.info.kind} at ${cache.info.location} — ${cache.info.reason}`,
        ...report.notices.map((n) => `Notice: ${n}`),
        ...report.accounts.map(
          (a) => `- ${a.upn}${a.upn === report.selectedAccount ? ' (selected)' : ''}: tenant ${a.tenantId}; scopes ${a.scopes.join(', ') || '(none cached)'}; access token ${a.accessTokenExpiresAt ? `expires ${a.accessTokenExpiresAt}` : 'none cached'}`,
        ),
        `Interaction export: ${report.exportApp ? `app ${report.exportApp.clientId} with a ${report.exportApp.credential}` : 'not configured'}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return report.signedIn ? 0 : 1;
  });
}
