import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JWK,
  type JWTPayload,
  type JWTVerifyResult,
} from 'jose';
import { errors } from 'jose';

/** The identity provider's token signing key: one RS256 key pair per emulator run. */
export interface SigningKeys {
  readonly kid: string;
  jwks(): { keys: JWK[] };
  /** Signs `claims` with iat/nbf/exp set from `nowMs` (the emulator clock). */
  signJwt(claims: JWTPayload, lifetimeSec: number, nowMs?: number): Promise<string>;
  verifyGraphToken(token: string, expect: { audience: string; issuer: string; nowMs?: number }): Promise<JWTVerifyResult>;
}

export async function createSigningKeys(): Promise<SigningKeys> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwk: JWK = { ...publicJwk, kid, use: 'sig', alg: 'RS256' };

  return {
    kid,
    jwks: () => ({ keys: [{ ...jwk }] }),

    async signJwt(claims, lifetimeSec, nowMs = Date.now()) {
      const iat = Math.floor(nowMs / 1000);
      return new SignJWT({ uti: randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + lifetimeSec)
        .sign(privateKey);
    },

    async verifyGraphToken(token, expect) {
      return jwtVerify(
        token,
        (header) => {
          // A token signed by another key (e.g. an earlier emulator run) must fail like a forged one.
          if (header.kid !== kid) throw new errors.JWKSNoMatchingKey();
          return publicKey;
        },
        {
          algorithms: ['RS256'],
          audience: expect.audience,
          issuer: expect.issuer,
          requiredClaims: ['exp', 'iat', 'tid'],
          ...(expect.nowMs === undefined ? {} : { currentDate: new Date(expect.nowMs) }),
        },
      );
    },
  };
}
