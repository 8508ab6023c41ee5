import { OAuthError } from './oauthError.js';
import type { GrantedScopes } from './scopeGrants.js';
import { hashSecret, newUserCode, normalizeUserCode, opaqueSecret } from './secrets.js';

type DeviceCodeState = 'pending' | 'approved' | 'denied' | 'redeemed';

interface DeviceCodeEntry {
  userCode: string;
  clientId: string;
  granted: GrantedScopes;
  expiresAt: number;
  state: DeviceCodeState;
  userId?: string;
}

export type DecisionResult = 'ok' | 'unknown' | 'expired' | 'decided';

export interface RedeemedDeviceCode {
  userId: string;
  granted: GrantedScopes;
}

/**
 * Pending device authorizations (RFC 8628). Device codes are kept only as hashes; a code is
 * redeemable once, after someone approved its user code.
 */
export class DeviceCodeStore {
  private readonly byHash = new Map<string, DeviceCodeEntry>();
  private readonly hashByUserCode = new Map<string, string>();

  constructor(
    private readonly clock: () => number,
    private readonly lifetimeSec: number,
  ) {}

  create(clientId: string, granted: GrantedScopes): { deviceCode: string; userCode: string; expiresIn: number } {
    this.prune();
    const deviceCode = opaqueSecret('EMU-DC.');
    let userCode = newUserCode();
    while (this.hashByUserCode.has(userCode)) userCode = newUserCode();
    const hash = hashSecret(deviceCode);
    this.byHash.set(hash, {
      userCode,
      clientId,
      granted,
      expiresAt: this.clock() + this.lifetimeSec * 1000,
      state: 'pending',
    });
    this.hashByUserCode.set(userCode, hash);
    return { deviceCode, userCode, expiresIn: this.lifetimeSec };
  }

  approve(userCode: string, userId: string): DecisionResult {
    return this.decide(userCode, (entry) => {
      entry.state = 'approved';
      entry.userId = userId;
    });
  }

  deny(userCode: string): DecisionResult {
    return this.decide(userCode, (entry) => {
      entry.state = 'denied';
    });
  }

  /** One poll of the token endpoint. Throws the OAuth error the poll should answer with. */
  redeem(deviceCode: string, clientId: string): RedeemedDeviceCode {
    const entry = this.byHash.get(hashSecret(deviceCode));
    if (entry === undefined || entry.clientId !== clientId) {
      throw new OAuthError(400, 'invalid_grant', 70000, 'The provided value for the device_code is not valid.');
    }
    if (entry.state === 'redeemed') {
      throw new OAuthError(400, 'invalid_grant', 54005, 'The device code was already redeemed; it is single use.');
    }
    if (this.clock() >= entry.expiresAt) {
      throw new OAuthError(400, 'expired_token', 70020, 'The provided value for the device_code has expired. Start sign-in again.');
    }
    if (entry.state === 'denied') {
      throw new OAuthError(400, 'access_denied', 70021, 'The user declined the sign-in request.');
    }
    if (entry.state === 'pending' || entry.userId === undefined) {
      throw new OAuthError(400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
    }
    entry.state = 'redeemed';
    return { userId: entry.userId, granted: entry.granted };
  }

  private decide(userCode: string, apply: (entry: DeviceCodeEntry) => void): DecisionResult {
    const hash = this.hashByUserCode.get(normalizeUserCode(userCode));
    const entry = hash === undefined ? undefined : this.byHash.get(hash);
    if (entry === undefined) return 'unknown';
    if (this.clock() >= entry.expiresAt) return 'expired';
    if (entry.state !== 'pending') return 'decided';
    apply(entry);
    return 'ok';
  }

  // Entries linger a little past expiry so a late poll still hears `expired_token`.
  private prune(): void {
    const cutoff = this.clock() - 10 * 60_000;
    for (const [hash, entry] of this.byHash) {
      if (entry.expiresAt < cutoff) {
        this.byHash.delete(hash);
        this.hashByUserCode.delete(entry.userCode);
      }
    }
  }
}
