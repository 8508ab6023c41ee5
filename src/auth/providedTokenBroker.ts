import { AppError } from '../errors.js';
import type { AppOnlyClient } from './appOnlyClient.js';
import type { SignedInAccount, TokenBroker, TokenGrant, TokenRequest } from './broker.js';
import { peekClaims, type PeekedClaims } from './jwtClaims.js';

const SKEW_MS = 60_000;

/**
 * Bring-your-own delegated token (for platforms that already hold one). It is used as given, never
 * refreshed; once it lapses every call says so. App-only requests go to the export app's client.
 */
export class ProvidedTokenBroker implements TokenBroker {
  private readonly claims: PeekedClaims | undefined;
  private readonly account: SignedInAccount | undefined;

  constructor(
    private readonly token: string,
    private readonly appOnly: Pick<AppOnlyClient, 'token'>,
    private readonly now: () => number = Date.now,
  ) {
    this.claims = peekClaims(token);
    const c = this.claims;
    const upn = c?.upn ?? c?.preferred_username ?? c?.unique_name;
    this.account =
      c?.oid && c.tid && upn
        ? { userId: c.oid, upn, tenantId: c.tid, homeAccountId: `${c.oid}.${c.tid}`, ...(c.name ? { displayName: c.name } : {}) }
        : undefined;
  }

  async getToken(request: TokenRequest, signal?: AbortSignal): Promise<TokenGrant> {
    if (request.flow === 'app') return this.appOnly.token(request.forceRefresh, signal);
    const expiresOn = this.claims?.exp ? new Date(this.claims.exp * 1000) : undefined;
    if (expiresOn && expiresOn.getTime() - SKEW_MS <= this.now()) {
      throw new AppError('AuthRequired', `the access token provided with --access-token / M365_COPILOT_MCP_ACCESS_TOKEN expired at ${expiresOn.toISOString()}`, {
        nextStep: 'Provide a fresh token and restart the server, or remove the setting to sign in with a device code instead.',
      });
    }
    const scopes = this.claims?.scp?.split(' ').filter(Boolean) ?? [];
    const missing = scopes.length ? request.scopes.filter((s) => !scopes.some((g) => g.toLowerCase() === s.toLowerCase())) : [];
    if (missing.length) {
      throw new AppError('AuthRequired', `the provided access token lacks ${missing.join(', ')} (it carries ${scopes.join(', ')})`, {
        nextStep: `Obtain a token that includes ${missing.join(', ')}, or remove --access-token to let the server sign in.`,
      });
    }
    return { accessToken: this.token, expiresOn, scopes, ...(this.account ? { account: this.account } : {}) };
  }

  async currentAccount(): Promise<SignedInAccount | undefined> {
    return this.account;
  }
}
