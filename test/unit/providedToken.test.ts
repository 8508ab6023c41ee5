import { describe, expect, it } from 'vitest';
import { peekClaims } from '../../src/auth/jwtClaims.js';
import { ProvidedTokenBroker } from '../../src/auth/providedTokenBroker.js';

const jwt = (claims: Record<string, unknown>) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;
const appBroker = { token: async () => ({ accessToken: 'app-token', expiresOn: undefined, scopes: [] }) };
const NOW = Date.parse('2026-11-27T00:00:00Z');

describe('bring-your-own access token', () => {
  const claims = { exp: NOW / 1000 + 3600, scp: 'Files.Read.All Sites.Read.All User.Read', oid: 'u1', tid: 't1', upn: 'ada@example.com', name: 'Ada' };

  it('is used as given, with the identity and scopes it carries', async () => {
    const token = jwt(claims);
    const broker = new ProvidedTokenBroker(token, appBroker, () => NOW);
    const grant = await broker.getToken({ flow: 'delegated', scopes: ['Files.Read.All'] });
    expect(grant.accessToken).toBe(token);
    expect(grant.scopes).toEqual(['Files.Read.All', 'Sites.Read.All', 'User.Read']);
    expect(grant.account).toMatchObject({ userId: 'u1', upn: 'ada@example.com', tenantId: 't1' });
    expect(await broker.currentAccount()).toMatchObject({ upn: 'ada@example.com' });
  });

  it('says when it has expired, and what to do', async () => {
    const broker = new ProvidedTokenBroker(jwt({ ...claims, exp: NOW / 1000 - 10 }), appBroker, () => NOW);
    await expect(broker.getToken({ flow: 'delegated', scopes: ['User.Read'] })).rejects.toMatchObject({
      code: 'AuthRequired',
      message: expect.stringContaining('expired at 2026-11-26T23:59:50.000Z'),
      nextStep: expect.stringContaining('fresh token'),
    });
  });

  it('names the scopes it lacks', async () => {
    const broker = new ProvidedTokenBroker(jwt(claims), appBroker, () => NOW);
    await expect(broker.getToken({ flow: 'delegated', scopes: ['OnlineMeetingAiInsight.Read.All'] })).rejects.toMatchObject({
      code: 'AuthRequired',
      message: expect.stringContaining('lacks OnlineMeetingAiInsight.Read.All'),
    });
  });

  it('leaves app-only requests to the app credential, and accepts opaque tokens', async () => {
    const broker = new ProvidedTokenBroker('opaque-token-from-a-platform-0123456789', appBroker, () => NOW);
    expect((await broker.getToken({ flow: 'app', scopes: [] })).accessToken).toBe('app-token');
    expect((await broker.getToken({ flow: 'delegated', scopes: ['User.Read'] })).accessToken).toBe('opaque-token-from-a-platform-0123456789');
    expect(peekClaims('not-a-jwt')).toBeUndefined();
  });
});
