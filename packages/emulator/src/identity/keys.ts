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

export async function createSigningKeys(): Promise<SigningKeys> {
  let current = await newKeyPair();

  function verify(token: string, options: { audience?: string; issuer?: string; currentDate?: Date }): Promise<JWTVerifyResult> {
    const key = current;
    return jwtVerify(
      token,
      (header) => {
        // A token signed by another key (withdrawn, or from an earlier run) fails like a forged one.
        if (header.kid !== key.kid) throw new errors.JWKSNoMatchingKey();
        return key.publicKey;
      },
      { algorithms: ['RS256'], requiredClaims: ['exp', 'iat', 'tid'], ...options },
    );
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
    },
  };
}
