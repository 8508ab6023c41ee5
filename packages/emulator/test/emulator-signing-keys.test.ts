import { errors } from 'jose';
import { describe, expect, it } from 'vitest';
import { createSigningKeys } from '../src/identity/keys.js';

/**
 * The identity provider remembers tokens it has verified (src/identity/keys.ts), and the verdict must
 * stay jose's: the same token refused once the (emulator) clock passes its exp, before its nbf, for
 * another audience or issuer, and after a key rotation, all after a first success was remembered.
 */
const AUD = 'https://graph.microsoft.com';
const ISS = 'https://login.microsoftonline.com/t1/v2.0';
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

async function remembered() {
  const keys = await createSigningKeys();
  const token = await keys.signJwt({ aud: AUD, iss: ISS, tid: 't1', oid: 'u1' }, 3600, T0);
  const first = await keys.verifyGraphToken(token, { audience: AUD, issuer: ISS, nowMs: T0 + 1000 });
  expect(first.payload['oid']).toBe('u1');
  return { keys, token };
}

describe('signing keys: remembered verifications', () => {
  it('a remembered token still verifies, and callers get their own payloads', async () => {
    const { keys, token } = await remembered();
    const again = await keys.verifyGraphToken(token, { audience: AUD, issuer: ISS, nowMs: T0 + 2000 });
    expect(again.payload['oid']).toBe('u1');
    again.payload['oid'] = 'changed';
    expect((await keys.verifyGraphToken(token, { audience: AUD, issuer: ISS, nowMs: T0 + 3000 })).payload['oid']).toBe('u1');
  });

  it('is refused once the clock reaches exp (exp is exclusive, as jose has it), and before nbf', async () => {
    const { keys, token } = await remembered();
    const exp = Math.floor(T0 / 1000) + 3600;
    await expect(keys.verifyGraphToken(token, { audience: AUD, issuer: ISS, nowMs: exp * 1000 })).rejects.toBeInstanceOf(errors.JWTExpired);
    expect((await keys.verifyGraphToken(token, { audience: AUD, issuer: ISS, nowMs: exp * 1000 - 1 })).payload['oid']).toBe('u1');
    await expect(keys.verifyGraphToken(token, { audience: AUD, issuer: ISS, nowMs: T0 - 1000 })).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
  });

  it('is refused for another audience or issuer', async () => {
    const { keys, token } = await remembered();
    await expect(keys.verifyGraphToken(token, { audience: 'api://other', issuer: ISS, nowMs: T0 + 1000 })).rejects.toMatchObject({ claim: 'aud' });
    await expect(keys.verifyGraphToken(token, { audience: AUD, issuer: 'https://sts.windows.net/t1/', nowMs: T0 + 1000 })).rejects.toMatchObject({ claim: 'iss' });
  });

  it('is refused after the key rotates', async () => {
    const { keys, token } = await remembered();
    await keys.rotate();
    await expect(keys.verifyGraphToken(token, { audience: AUD, issuer: ISS, nowMs: T0 + 1000 })).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it('a token with a forged signature over the same claims is refused while the real one is remembered', async () => {
    const { keys, token } = await remembered();
    const [h, p, sig] = token.split('.');
    const forged = `${h}.${p}.${sig!.slice(0, -4)}${sig!.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await expect(keys.verifyGraphToken(forged, { audience: AUD, issuer: ISS, nowMs: T0 + 1000 })).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });
});
