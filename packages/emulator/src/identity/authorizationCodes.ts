import { OAuthError } from './oauthError.js';
import { verifierMatches } from './pkce.js';
import type { GrantedScopes } from './scopeGrants.js';
import { hashSecret, opaqueSecret } from './secrets.js';

/** Everything a code is bound to at the authorize endpoint and checked against at redemption. */
export interface AuthorizationGrant {
  clientId: string;
  redirectUri: string;
  userId: string;
  granted: GrantedScopes;
  codeChallenge: string;
  /** Echoed into the id token only when the client sent one (MSAL rejects an unexpected nonce). */
  nonce?: string;
}

interface CodeRecord extends AuthorizationGrant {
  expiresAt: number;
  redeemed: boolean;
}

export interface CodeRedemption {
  clientId: string;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

// Entra's codes live about ten minutes.
export const AUTHORIZATION_CODE_LIFETIME_SEC = 600;

function invalidGrant(aadsts: number, description: string): OAuthError {
  return new OAuthError(400, 'invalid_grant', aadsts, description);
}

/** Authorization codes (kept only as hashes), single use, PKCE-bound. */
export class AuthorizationCodeStore {
  private readonly byHash = new Map<string, CodeRecord>();

  constructor(private readonly clock: () => number) {}

  issue(grant: AuthorizationGrant): string {
    this.prune();
    const code = opaqueSecret('EMU-AC.');
    this.byHash.set(hashSecret(code), { ...grant, expiresAt: this.clock() + AUTHORIZATION_CODE_LIFETIME_SEC * 1000, redeemed: false });
    return code;
  }

  /** Throws the OAuth error the token endpoint should answer with. */
  redeem(code: string, attempt: CodeRedemption): AuthorizationGrant {
    const record = this.byHash.get(hashSecret(code));
    if (record === undefined || record.clientId.toLowerCase() !== attempt.clientId.toLowerCase()) {
      throw invalidGrant(70000, "The provided value for the 'code' parameter is not valid.");
    }
    if (record.redeemed) throw invalidGrant(54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code.');
    // Any attempt by the right client uses the code up, so a failed PKCE check cannot be retried.
    record.redeemed = true;
    if (this.clock() >= record.expiresAt) {
      throw invalidGrant(70008, 'The provided authorization code has expired. Sign in again.');
    }
    if (attempt.redirectUri !== record.redirectUri) {
      throw invalidGrant(50011, 'The redirect_uri does not match the one of the authorization request.');
    }
    if (attempt.codeVerifier === undefined || attempt.codeVerifier === '') {
      throw invalidGrant(50148, 'PKCE verification failed: the request has no code_verifier.');
    }
    if (!verifierMatches(attempt.codeVerifier, record.codeChallenge)) {
      throw invalidGrant(50148, 'PKCE verification failed: the code_verifier does not match the code_challenge of the authorization request.');
    }
    const { clientId, redirectUri, userId, granted, codeChallenge, nonce } = record;
    return { clientId, redirectUri, userId, granted, codeChallenge, ...(nonce === undefined ? {} : { nonce }) };
  }

  private prune(): void {
    const now = this.clock();
    for (const [hash, record] of this.byHash) if (record.expiresAt <= now) this.byHash.delete(hash);
  }
}
