import type { AppOnlyClient } from '../appOnlyClient.js';
import type { SignedInAccount, TokenBroker, TokenGrant, TokenRequest } from '../broker.js';
import { toSignedIn, type PublicClientSession } from './publicClientSession.js';
import type { SignInFlows } from './signInFlows.js';

/**
 * The stdio server's broker: the local user's delegated tokens (memoised per scope set, single
 * flight) and the export app's app-only tokens.
 */
export class LocalBroker implements TokenBroker {
  constructor(
    private readonly session: PublicClientSession,
    private readonly flows: SignInFlows,
    private readonly appOnly: AppOnlyClient,
  ) {}

  getToken(request: TokenRequest, signal?: AbortSignal): Promise<TokenGrant> {
    if (request.flow === 'app') return this.appOnly.token(request.forceRefresh, signal);
    const key = [...request.scopes].sort().join(' ');
    return this.session.memo.get(key, () => this.flows.delegatedToken(request.scopes, signal, request.forceRefresh, request.silentOnly), { forceRefresh: request.forceRefresh, signal });
  }

  async currentAccount(): Promise<SignedInAccount | undefined> {
    if (!this.session.configured) return undefined;
    // While a delegated token is memoised, its account is the one in use: no cache read (the audit
    // trail asks on every call, and the persistent cache costs a file lock and a decryption).
    for (const [, grant] of this.session.memo.entries()) if (grant.account) return grant.account;
    const account = await this.session.selectAccount(await this.session.client());
    return account ? toSignedIn(account) : undefined;
  }

  grantedScopes(): string[] {
    return [...this.session.granted].sort();
  }

  awaitSignIn(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.flows.awaitSignIn(timeoutMs, signal);
  }
}
