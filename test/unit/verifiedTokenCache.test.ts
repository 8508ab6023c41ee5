import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkClient } from '../../src/auth/networkClient.js';
import { EntraTokenVerifier } from '../../src/transports/bearer/entraTokenVerifier.js';

/**
 * The verified-token cache of the bearer gate: a token's signature is checked once, the cache holds a
 * digest of the token and never the token, and a token with the same claims but another signature is
 * a different entry (refused). Keys served by a loopback JWKS endpoint, tokens signed here.
 */
const TENANT = '11111111-2222-3333-4444-555555555555';
const AUTHORITY = 'https://login.example.test';
const AUDIENCE = 'api://cache-test';

let jwks: Server;
let key: CryptoKey;
let verifier: EntraTokenVerifier;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/keys`;
  // MSAL's network module is https-only; the keys here are served over plain loopback http by fetch.
  const network: NetworkClient = {
    sendGetRequestAsync: async <T>(url: string) => {
      const res = await fetch(url);
      return { status: res.status, headers: {}, body: (await res.json()) as T };
    },
    sendPostRequestAsync: () => Promise.reject(new Error('the verifier never posts')),
  };
  verifier = new EntraTokenVerifier({ authorityHost: AUTHORITY, jwksUri, allowedTenants: [TENANT], audiences: [AUDIENCE], network });
});

afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

function token(expiresIn = '1h'): Promise<string> {
  return new SignJWT({ tid: TENANT, oid: 'user-1', scp: 'access_as_user', azp: 'client-1', preferred_username: 'u@example.test' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(`${AUTHORITY}/${TENANT}/v2.0`)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key);
}

/** Everything the verifier object holds, as text (its private cache included). */
function heldText(v: EntraTokenVerifier): string {
  const cache = (v as unknown as { verified: Map<string, unknown> }).verified;
  return JSON.stringify([...cache.entries()]);
}

describe('the verified-token cache', () => {
  it('serves a verified token from a digest-keyed entry and never holds the token', async () => {
    const bearer = await token();
    const first = await verifier.verifyAccessToken(bearer);
    expect(first.scopes).toEqual(['access_as_user']);
    expect(verifier.verifiedCaller(bearer)).toMatchObject({ userId: 'user-1', tenantId: TENANT, upn: 'u@example.test' });
    expect(await verifier.verifyAccessToken(bearer)).toEqual(first);
    const held = heldText(verifier);
    expect(held).toContain('user-1');
    for (const part of bearer.split('.')) expect(held).not.toContain(part);
  });

  it('refuses the same claims under another signature, even with the real token cached', async () => {
    const bearer = await token();
    await verifier.verifyAccessToken(bearer);
    const [header, payload, signature] = bearer.split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, -4)}${signature!.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await expect(verifier.verifyAccessToken(forged)).rejects.toThrow(/signature/);
    expect(verifier.verifiedCaller(forged)).toBeUndefined();
  });

  it('refuses a token past its exp (beyond the skew)', async () => {
    const expired = await token('-2h');
    await expect(verifier.verifyAccessToken(expired)).rejects.toThrow(/expired/);
    expect(verifier.verifiedCaller(expired)).toBeUndefined();
  });
});
