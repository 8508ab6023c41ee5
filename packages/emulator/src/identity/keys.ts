import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  errors,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
  type JWTVerifyResult,
} from 'jose';

/** The identity provider's token signing key: one RS256 key pair at a time. */
export interface SigningKeys {
  /** Key id of the current key (the `kid` header of every token it signs). */
  readonly kid: string;
  jwks(): { keys: JWK[] };
  /** Signs `claims` with iat/nbf/exp set from `nowMs` (the emulator clock). */
  signJwt(claims: JWTPayload, lifetimeSec: number, nowMs?: number): Promise<string>;
  verifyGraphToken(token: string, expect: { audience: string; issuer: string; nowMs?: number }): Promise<JWTVerifyResult>;
  /**
   * Signature (current key only) and lifetime; the caller checks audience and issuer itself, to
   * answer each failure with its own error (on-behalf-of assertions).
   */
  verifySignedToken(token: string, nowMs?: number): Promise<JWTVerifyResult>;
  /**
   * Replaces the key and withdraws the old one, so every token issued so far fails validation:
   * what a client sees when Entra rolls its keys over and a cached token outlives the old key.
   */
  rotate(): Promise<void>;
}

interface KeyPair {
  kid: string;
  jwk: JWK;
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

async function newKeyPair(): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, jwk: { ...publicJwk, kid, use: 'sig', alg: 'RS256' }, publicKey, privateKey };
}

/**
 * Tokens already verified, by key, expected audience and issuer, and the token itself. The emulator
 * stands for Graph and Entra, whose CPU is not on the caller's machine; here one RS256 verification
 * per request was about a third of the emulator's CPU under the HTTP bench, taken from the server
 * it measures on two cores (issue 17). The verdict stays jose's: everything jwtVerify checks depends
 * on the token's bytes and those options alone, except the time, so a remembered success is honoured
 * only while the token's own nbf and exp admit the (emulator's) current time, with jose's comparisons;
 * otherwise jwtVerify runs again and gives its own error. Rotating the key forgets them all.
 */
const VERIFIED_LIMIT = 10_000;

export async function createSigningKeys(): Promise<SigningKeys> {
  let current = await newKeyPair();
  let verified = new Map<string, JWTVerifyResult>();

  async function verify(token: string, options: { audience?: string; issuer?: string; currentDate?: Date }): Promise<JWTVerifyResult> {
    const key = current;
    const memo = verified;
    const memoKey = `${options.audience ?? ''}\n${options.issuer ?? ''}\n${token}`;
    const known = memo.get(memoKey);
    if (known && admitsNow(known.payload, options.currentDate)) return copyOf(known);
    const result = await jwtVerify(
      token,
      (header) => {
        // A token signed by another key (withdrawn, or from an earlier run) fails like a forged one.
        if (header.kid !== key.kid) throw new errors.JWKSNoMatchingKey();
        return key.publicKey;
      },
      { algorithms: ['RS256'], requiredClaims: ['exp', 'iat', 'tid'], ...options },
    );
    // Only while the key that verified it is still the current one (a rotation during the await).
    if (memo === verified) {
      if (memo.size >= VERIFIED_LIMIT) memo.delete(memo.keys().next().value!);
      memo.set(memoKey, copyOf(result));
    }
    return result;
  }

  return {
    get kid() {
      return current.kid;
    },
    jwks: () => ({ keys: [{ ...current.jwk }] }),

    async signJwt(claims, lifetimeSec, nowMs = Date.now()) {
      const iat = Math.floor(nowMs / 1000);
      return new SignJWT({ uti: randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: current.kid })
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + lifetimeSec)
        .sign(current.privateKey);
    },

    async verifyGraphToken(token, expect) {
      return verify(token, {
        audience: expect.audience,
        issuer: expect.issuer,
        ...(expect.nowMs === undefined ? {} : { currentDate: new Date(expect.nowMs) }),
      });
    },

    async verifySignedToken(token, nowMs) {
      return verify(token, nowMs === undefined ? {} : { currentDate: new Date(nowMs) });
    },

    async rotate() {
      current = await newKeyPair();
      verified = new Map();
    },
  };
}

/** jose's time checks (lib/jwt_claims_set.js, no clock tolerance): nbf not after now, exp after now, in whole seconds. */
function admitsNow(payload: JWTPayload, currentDate: Date | undefined): boolean {
  const now = Math.floor((currentDate ?? new Date()).getTime() / 1000);
  return (payload.nbf === undefined || payload.nbf <= now) && payload.exp !== undefined && payload.exp > now;
}

/** Callers get their own objects: a remembered result is never shared with one that might change it. */
function copyOf(result: JWTVerifyResult): JWTVerifyResult {
  return { payload: { ...result.payload }, protectedHeader: { ...result.protectedHeader } };
}
