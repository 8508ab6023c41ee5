import { OAuthError } from './oauthError.js';
import { hashSecret, opaqueSecret } from './secrets.js';

interface RefreshTokenRecord {
  clientId: string;
  userId: string;
  /** Graph permissions consented at sign-in: a refresh may ask for these, not more. */
  consented: string[];
  expiresAt: number;
  revoked: boolean;
}

export interface RefreshGrant {
  clientId: string;
  userId: string;
  consented: string[];
}

// What Entra adds to a dead refresh token's invalid_grant: MSAL then drops it from its cache.
const BAD_TOKEN = 'bad_token';

// Entra's default inactivity lifetime of a refresh token.
const REFRESH_LIFETIME_MS = 90 * 86_400_000;

/**
 * Refresh tokens, kept only as hashes. Redeeming one issues a new one (rotation) without
 * invalidating the old, as Entra does; revocation is per user.
 */
export class RefreshTokenStore {
  private readonly byHash = new Map<string, RefreshTokenRecord>();

  constructor(private readonly clock: () => number) {}

  issue(grant: RefreshGrant): string {
    const token = opaqueSecret('EMU-RT.');
    this.byHash.set(hashSecret(token), {
      ...grant,
      consented: [...grant.consented],
      expiresAt: this.clock() + REFRESH_LIFETIME_MS,
      revoked: false,
    });
    return token;
  }

  redeem(token: string, clientId: string): RefreshGrant {
    const record = this.byHash.get(hashSecret(token));
    if (record === undefined || record.clientId !== clientId) {
      throw new OAuthError(400, 'invalid_grant', 9002313, 'Invalid request. The refresh token is malformed or not valid.');
    }
    if (record.revoked) {
      throw new OAuthError(
        400,
        'invalid_grant',
        50173,
        'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user must sign in again.',
        BAD_TOKEN,
      );
    }
    if (this.clock() >= record.expiresAt) {
      throw new OAuthError(400, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity. The user must sign in again.', BAD_TOKEN);
    }
    return { clientId: record.clientId, userId: record.userId, consented: [...record.consented] };
  }

  /** Returns how many tokens were revoked. */
  revokeUser(userId: string): number {
    return this.revokeWhere((record) => record.userId === userId);
  }

  /** Every user's refresh tokens, e.g. to emulate a tenant-wide "revoke sessions". */
  revokeAll(): number {
    return this.revokeWhere(() => true);
  }

  private revokeWhere(selected: (record: RefreshTokenRecord) => boolean): number {
    let count = 0;
    for (const record of this.byHash.values()) {
      if (selected(record) && !record.revoked) {
        record.revoked = true;
        count++;
      }
    }
    return count;
  }
}
