import { readFileSync } from 'node:fs';
import {
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  PublicClientApplication,
  ServerError,
  type AccountInfo,
  type NetworkRequestOptions,
} from '@azure/msal-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/startEmulator.js';
import { decodeJwt, echoRouter, emulatorNetwork, fixtureTenant, postForm, request, controlPost, controlRequest } from './helpers/emulator-identity-helpers.js';

const ADELE = 'adele.vance@contoso-emu.example';
const MEGAN = 'megan.bowen@contoso-emu.example';
const GRAPH = 'https://graph.microsoft.com';
const FILES = `${GRAPH}/Files.Read.All`;

describe('emulator control of the identity provider: injected errors, token lifetime, revocation, tenants', () => {
  let emu: RunningEmulator; // auto-approves device codes for Adele
  let ca: string;

  beforeAll(async () => {
    emu = await startEmulator({ tenant: fixtureTenant(), router: echoRouter, autoApproveUpn: ADELE, accessTokenLifetimeSec: 120 });
    ca = readFileSync(emu.descriptor.caCertPath, 'utf8');
  });

  afterAll(async () => {
    await emu?.close();
  });

  afterEach(async () => {
    await controlPost(emu.descriptor, `/errors/clear`, {});
  });

  const control = (path: string, body: unknown) => controlPost(emu.descriptor, `${path}`, body);

  function pca(authority = emu.descriptor.authority): PublicClientApplication {
    return new PublicClientApplication({
      auth: { clientId: emu.descriptor.apps.publicClient.clientId, authority, knownAuthorities: [new URL(emu.descriptor.authorityHost).host] },
      system: { networkClient: emulatorNetwork(ca) },
    });
  }

  /** Adele, signed in by device code (auto-approved), in a fresh MSAL cache. */
  async function signedIn(): Promise<{ app: PublicClientApplication; account: AccountInfo; accessToken: string }> {
    const app = pca();
    const result = await app.acquireTokenByDeviceCode({ scopes: [FILES], deviceCodeCallback: () => undefined });
    const [account] = await app.getAllAccounts();
    return { app, account: account!, accessToken: result!.accessToken };
  }

  const refresh = (s: { app: PublicClientApplication; account: AccountInfo }) =>
    s.app.acquireTokenSilent({ account: s.account, scopes: [FILES], forceRefresh: true });

  it('fails the next refresh with interaction_required (50076, suberror), then refreshes again', async () => {
    const session = await signedIn();
    const queued = await control('/errors/next', { error: 'interaction_required', grant: 'refresh_token', suberror: 'basic_action' });
    expect(queued.status).toBe(200);
    expect(queued.json()).toMatchObject({ queued: { error: 'interaction_required', grant: 'refresh_token', count: 1 }, pending: 1 });

    const error = await refresh(session).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteractionRequiredAuthError);
    expect(error).toMatchObject({ errorCode: 'interaction_required', subError: 'basic_action', errorNo: 50076 });
    expect((await refresh(session)).accessToken).toBeTruthy();
    expect(emu.stats().tokenRequests.errors['interaction_required']).toBe(1);
  });

  it('maps consent_required (65001, naming the scopes) and login_required to InteractionRequiredAuthError', async () => {
    const session = await signedIn();
    await control('/errors/next', { error: 'consent_required', grant: 'refresh_token' });
    const consent = await refresh(session).catch((e: unknown) => e);
    expect(consent).toBeInstanceOf(InteractionRequiredAuthError);
    expect(consent).toMatchObject({ errorCode: 'consent_required', errorNo: 65001 });
    expect((consent as Error).message).toContain('Files.Read.All');

    await control('/errors/next', { error: 'login_required', description: 'Custom words from the test.' });
    const login = await refresh(session).catch((e: unknown) => e);
    expect(login).toMatchObject({ errorCode: 'login_required', errorNo: 50058 });
    expect((login as Error).message).toContain('Custom words from the test.');
  });

  it('injects invalid_grant as a plain ServerError, honours count and upn, and clears', async () => {
    const session = await signedIn();
    await control('/errors/next', { error: 'invalid_grant', grant: 'refresh_token', count: 2 });
    for (let i = 0; i < 2; i++) {
      const error = await refresh(session).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerError);
      expect(error).not.toBeInstanceOf(InteractionRequiredAuthError);
      expect(error).toMatchObject({ errorCode: 'invalid_grant' });
    }
    await expect(refresh(session)).resolves.toBeDefined();

    // A rule for another user or another grant leaves this request alone.
    await control('/errors/next', { error: 'interaction_required', upn: MEGAN });
    await control('/errors/next', { error: 'interaction_required', grant: 'client_credentials' });
    await expect(refresh(session)).resolves.toBeDefined();
    const pending = await controlRequest(emu.descriptor, `/errors`);
    expect(pending.json().pending).toHaveLength(2);

    const { exportApp } = emu.descriptor.apps;
    const cca = new ConfidentialClientApplication({
      auth: { clientId: exportApp.clientId, clientSecret: exportApp.clientSecret, authority: emu.descriptor.authority, knownAuthorities: [new URL(emu.descriptor.authorityHost).host] },
      system: { networkClient: emulatorNetwork(ca) },
    });
    await expect(cca.acquireTokenByClientCredential({ scopes: [`${GRAPH}/.default`] })).rejects.toMatchObject({ errorCode: 'interaction_required' });

    expect((await control('/errors/clear', {})).json()).toEqual({ cleared: 1 });
    expect((await controlRequest(emu.descriptor, `/errors`)).json().pending).toEqual([]);

    for (const bad of [{ error: 'server_error' }, { error: 'invalid_grant', grant: 'password' }, { error: 'invalid_grant', count: 0 }, {}]) {
      expect((await control('/errors/next', bad)).status).toBe(400);
    }
    expect((await control('/errors/next', { error: 'invalid_grant', upn: 'nobody@example.com' })).status).toBe(404);
  });

  it('fails the device code poll that would have succeeded when device_code is targeted', async () => {
    await control('/errors/next', { error: 'consent_required', grant: 'device_code', upn: ADELE });
    const attempt = pca().acquireTokenByDeviceCode({ scopes: [FILES], deviceCodeCallback: () => undefined });
    // MSAL quirk: any poll error but authorization_pending becomes post_request_failed carrying only the error name.
    await expect(attempt).rejects.toMatchObject({ errorCode: 'post_request_failed', errorMessage: 'consent_required' });
    expect(emu.stats().tokenRequests.errors['consent_required']).toBeGreaterThanOrEqual(1);
  });

  it('changes the access token lifetime at run time; MSAL then refreshes on a plain silent call', async () => {
    expect((await controlRequest(emu.descriptor, `/tokens/lifetime`)).json()).toEqual({ seconds: 120 });
    const changed = await control('/tokens/lifetime', { seconds: 1 });
    expect(changed.json()).toEqual({ previousSeconds: 120, seconds: 1 });
    try {
      const session = await signedIn();
      const claims = decodeJwt(session.accessToken);
      expect(Number(claims.exp) - Number(claims.iat)).toBe(1);
      await new Promise((r) => setTimeout(r, 1100));
      const before = emu.stats().tokenRequests.byGrant['refresh_token'] ?? 0;
      const silent = await session.app.acquireTokenSilent({ account: session.account, scopes: [FILES] });
      expect(silent.accessToken).not.toBe(session.accessToken);
      expect(emu.stats().tokenRequests.byGrant['refresh_token']).toBe(before + 1);
    } finally {
      await control('/tokens/lifetime', { seconds: 120 });
    }
    for (const bad of [{ seconds: 0 }, { seconds: 1.5 }, { seconds: '60' }, {}]) {
      expect((await control('/tokens/lifetime', bad)).status).toBe(400);
    }
  });

  it('rotates refresh tokens without invalidating the old ones, and revokes them per user or all at once', async () => {
    const { authority, apps } = emu.descriptor;
    const token = (form: Record<string, string>) => postForm(`${authority}/oauth2/v2.0/token`, form, ca);
    const clientId = apps.publicClient.clientId;
    const started = (await postForm(`${authority}/oauth2/v2.0/devicecode`, { client_id: clientId, scope: 'User.Read offline_access' }, ca)).json();
    const first = (await token({ grant_type: 'device_code', client_id: clientId, device_code: started.device_code })).json();
    const useRt = (rt: string) => token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: rt, scope: 'User.Read offline_access' });
    const second = (await useRt(first.refresh_token)).json();
    const third = (await useRt(first.refresh_token)).json();
    expect(new Set([first.refresh_token, second.refresh_token, third.refresh_token]).size).toBe(3);
    expect((await useRt(second.refresh_token)).status).toBe(200);

    const revoked = await control('/tokens/revoke', { upn: ADELE });
    expect(revoked.json().revokedRefreshTokens).toBeGreaterThanOrEqual(3);
    const dead = await useRt(third.refresh_token);
    expect(dead.status).toBe(400);
    expect(dead.json()).toMatchObject({ error: 'invalid_grant', error_codes: [50173], suberror: 'bad_token' });
    expect(dead.text).not.toContain(third.refresh_token);

    // MSAL hears invalid_grant (with bad_token it is an InteractionRequiredAuthError and drops the refresh token).
    const session = await signedIn();
    const all = await control('/tokens/revoke', { all: true });
    expect(all.json()).toMatchObject({ all: true });
    expect(all.json().revokedRefreshTokens).toBeGreaterThanOrEqual(1);
    const error = await refresh(session).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteractionRequiredAuthError);
    expect(error).toMatchObject({ errorCode: 'invalid_grant', subError: 'bad_token', errorNo: 50173 });
    expect((await control('/tokens/revoke', { upn: 'nobody@example.com' })).status).toBe(404);
  });

  it("answers 90002 invalid_tenant for an unknown tenant on metadata, token and authorize; MSAL only says it cannot resolve endpoints", async () => {
    const { authorityHost, apps } = emu.descriptor;
    const paths = ['v2.0/.well-known/openid-configuration', 'oauth2/v2.0/authorize?client_id=x', 'discovery/v2.0/keys'];
    for (const path of paths) {
      const res = await request(`${authorityHost}/fabrikam.example/${path}`, { ca });
      expect(res.status, path).toBe(400);
      expect(res.json(), path).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
      expect(res.json().error_description, path).toContain("Tenant 'fabrikam.example' not found");
    }
    const tokenRes = await postForm(`${authorityHost}/fabrikam.example/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: apps.exportApp.clientId }, ca);
    expect(tokenRes.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });

    // MSAL discovers the authority first and reports only endpoints_resolution_error: a client that
    // wants to say "wrong tenant" must read the metadata answer itself (its network module sees it).
    const seen: unknown[] = [];
    const network = emulatorNetwork(ca);
    const app = new PublicClientApplication({
      auth: { clientId: apps.publicClient.clientId, authority: `${authorityHost}/fabrikam.example`, knownAuthorities: [new URL(authorityHost).host] },
      system: {
        networkClient: {
          sendGetRequestAsync: async <T>(url: string, options?: NetworkRequestOptions) => {
            const res = await network.sendGetRequestAsync<T>(url, options);
            seen.push(res.body);
            return res;
          },
          sendPostRequestAsync: (url, options) => network.sendPostRequestAsync(url, options),
        },
      },
    });
    await expect(app.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => undefined })).rejects.toMatchObject({
      errorCode: 'endpoints_resolution_error',
    });
    expect(seen).toContainEqual(expect.objectContaining({ error: 'invalid_tenant', error_codes: [90002] }));
  });
});
