import { createHash } from 'node:crypto';
import type { AppOnlyClient } from '../appOnlyClient.js';
import type { SignedInAccount, TokenBroker, TokenGrant, TokenRequest } from '../broker.js';
import { userPartition } from '../cache/redisTokenStore.js';
import type { OboTokenService } from './oboTokenService.js';
import type { OboCaller } from './types.js';

/**
 * The token broker of one HTTP request: delegated tokens by on-behalf-of for its caller, app-only
 * tokens from the server's export app. Built per request, so it holds nothing but the caller; the
 * assertion is hashed once, on first use.
 */
export class CallerBroker implements TokenBroker {
  private assertionHash?: string;
  private readonly account: SignedInAccount;

  constructor(
    private readonly service: OboTokenService,
    private readonly caller: OboCaller,
    private readonly appOnly: Pick<AppOnlyClient, 'token'>,
  ) {
    this.account = {
      userId: caller.userId,
      upn: caller.upn ?? '',
      tenantId: caller.tenantId,
      homeAccountId: userPartition(caller.userId, caller.tenantId),
      ...(caller.displayName ? { displayName: caller.displayName } : {}),
    };
  }

  getToken(request: TokenRequest, signal?: AbortSignal): Promise<TokenGrant> {
    if (request.flow === 'app') return this.appOnly.token(request.forceRefresh, signal);
    return this.service.delegatedToken(this.caller, this.hash(), request, this.account, signal);
  }

  async currentAccount(): Promise<SignedInAccount | undefined> {
    return this.account;
  }

  grantedScopes(): string[] {
    return this.service.grantedScopes(this.caller, this.hash());
  }

  private hash(): string {
    return (this.assertionHash ??= createHash('sha256').update(this.caller.assertion, 'utf8').digest('base64url'));
  }
}
