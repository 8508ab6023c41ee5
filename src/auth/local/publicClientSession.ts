import type { AccountInfo, AuthenticationResult, ICachePlugin, PublicClientApplication } from '@azure/msal-node';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { SignedInAccount, TokenGrant } from '../broker.js';
import { mapMsalError } from '../msalErrors.js';
import { identityNetwork, msalConfiguration, type IdentityEndpoints } from '../msalConfig.js';
import { scopeNames, type ScopeNames } from '../scopeNames.js';
import { TokenMemo } from '../tokenMemo.js';

export interface PublicClientOptions {
  identity: IdentityEndpoints;
  publicClientId?: string | undefined;
  /** UPN of the account to use when several are cached; also the login hint. */
  account?: string | undefined;
  /** Persistence for the cache (keychain / encrypted file); memory when absent. */
  cachePlugin?: ICachePlugin | undefined;
  log: Logger;
}

/**
 * The local user's public client and what every flow of it shares: the MSAL application (imported
 * lazily, so `initialize` and `tools/list` never pay for it), which cached account is in use, the
 * scopes granted so far, and the token memo. Sign-in flows, the account store and the broker are
 * separate jobs over this one state.
 */
export class PublicClientSession {
  readonly memo = new TokenMemo();
  readonly names: ScopeNames;
  /** Scopes already granted to the signed-in user, so a new sign-in never narrows them. */
  readonly granted = new Set<string>();
  /** The account the last sign-in produced; preferred when several are cached. */
  activeHomeAccountId: string | undefined;
  private pca?: Promise<PublicClientApplication>;
  private discoveryError?: string;

  constructor(readonly opts: PublicClientOptions) {
    this.names = scopeNames(opts.identity.graphResource);
  }

  get configured(): boolean {
    return !!this.opts.publicClientId;
  }

  mapError(err: unknown, scopes: string[]): AppError {
    return mapMsalError(err, {
      scopes,
      flow: 'delegated',
      authority: this.opts.identity.authority,
      ...(this.opts.publicClientId ? { clientId: this.opts.publicClientId } : {}),
      ...(this.discoveryError ? { discoveryError: this.discoveryError } : {}),
    });
  }

  client(): Promise<PublicClientApplication> {
    const clientId = this.opts.publicClientId;
    if (!clientId) {
      return Promise.reject(
        new AppError('ConfigInvalid', 'no client id is configured for delegated sign-in', {
          nextStep: 'Register a public client app in Entra ID (see README "Connect a real tenant") and set M365_COPILOT_MCP_CLIENT_ID (or --client-id), or run with --demo.',
        }),
      );
    }
    const { identity, log, cachePlugin } = this.opts;
    const network = identityNetwork(identity, (description) => (this.discoveryError = description));
    this.pca ??= import('@azure/msal-node').then(
      (msal) => new msal.PublicClientApplication(msalConfiguration({ clientId, authority: identity.authority, knownAuthorities: identity.knownAuthorities, cachePlugin, network, log })),
    );
    return this.pca;
  }

  /** Cached accounts of this authority's cloud: a shared cache may hold other clouds' or an earlier emulator's. */
  async cachedAccounts(pca: PublicClientApplication): Promise<AccountInfo[]> {
    const host = new URL(this.opts.identity.authority).host.toLowerCase();
    return (await pca.getTokenCache().getAllAccounts()).filter((a) => a.environment.toLowerCase() === host);
  }

  async selectAccount(pca: PublicClientApplication): Promise<AccountInfo | undefined> {
    const accounts = await this.cachedAccounts(pca);
    if (this.opts.account) return accounts.find((a) => a.username.toLowerCase() === this.opts.account!.toLowerCase());
    return accounts.find((a) => a.homeAccountId === this.activeHomeAccountId) ?? accounts[0];
  }

  /** After any acquisition: which account is active now and what it was granted. A different account's memo is dropped. */
  remember(result: AuthenticationResult): void {
    if (result.account && result.account.homeAccountId !== this.activeHomeAccountId) this.memo.clear();
    if (result.account) this.activeHomeAccountId = result.account.homeAccountId;
    for (const s of this.names.bare(result.scopes)) this.granted.add(s);
  }

  /** A session that can no longer refresh is forgotten entirely. */
  async forget(account: AccountInfo): Promise<void> {
    await (await this.client()).getTokenCache().removeAccount(account);
    if (this.activeHomeAccountId === account.homeAccountId) this.activeHomeAccountId = undefined;
    this.granted.clear();
    this.memo.clear();
  }

  toGrant(result: AuthenticationResult): TokenGrant {
    return {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ?? undefined,
      scopes: this.names.bare(result.scopes),
      ...(result.account ? { account: toSignedIn(result.account) } : {}),
    };
  }
}

export function toSignedIn(account: AccountInfo): SignedInAccount {
  return {
    userId: account.localAccountId,
    upn: account.username,
    tenantId: account.tenantId,
    homeAccountId: account.homeAccountId,
    ...(account.name ? { displayName: account.name } : {}),
  };
}
