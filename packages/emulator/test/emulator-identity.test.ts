import { existsSync, readFileSync } from 'node:fs';
import { ConfidentialClientApplication, PublicClientApplication, type Configuration } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/startEmulator.js';
import { decodeJwt, echoRouter, emulatorNetwork, fixtureTenant, postForm, request, controlPost, controlRequest } from './helpers/emulator-identity-helpers.js';

const ADELE = 'adele.vance@contoso-emu.example';
const MEGAN = 'megan.bowen@contoso-emu.example';
const GRAPH = 'https://graph.microsoft.com';

function msalConfig(emu: RunningEmulator, ca: string, clientId: string, clientSecret?: string): Configuration {
  const { descriptor } = emu;
  return {
    auth: {
      clientId,
      authority: descriptor.authority,
      knownAuthorities: [new URL(descriptor.authorityHost).host],
      ...(clientSecret === undefined ? {} : { clientSecret }),
    },
    system: { networkClient: emulatorNetwork(ca) },
  };
}

describe('emulator identity provider (real MSAL Node over HTTPS)', () => {
  let auto: RunningEmulator; // approves every device code for Adele
  let manual: RunningEmulator; // waits for the control route; its clock can be moved
  let autoCa: string;
  let manualCa: string;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    [auto, manual] = await Promise.all([
      startEmulator({ tenant: fixtureTenant(), router: echoRouter, autoApproveUpn: ADELE }),
      startEmulator({ tenant: fixtureTenant(), router: echoRouter, deviceCodeIntervalSec: 1, clock: () => Date.now() + clockOffsetMs }),
    ]);
    autoCa = readFileSync(auto.descriptor.caCertPath, 'utf8');
    manualCa = readFileSync(manual.descriptor.caCertPath, 'utf8');
  });

  afterAll(async () => {
    await Promise.all([auto?.close(), manual?.close()]);
  });

  it('describes itself with a descriptor pointing at one https/http port', () => {
    const d = auto.descriptor;
    expect(d.authority).toBe(`${d.authorityHost}/${d.tenantId}`);
    expect(d.authorityHost).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(d.graphBaseUrl).toBe(d.authorityHost.replace('https:', 'http:'));
    expect(d.controlUrl).toBe(`${d.graphBaseUrl}/_emulator`);
    expect(d.apps.exportApp.clientSecret).toBe('emu-secret-for-tests');
    expect(readFileSync(d.caCertPath, 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('serves OpenID metadata and JWKS over https, for every tenant alias', async () => {
    const { authorityHost, tenantId, tenantDomain } = auto.descriptor;
    for (const alias of [tenantId, tenantDomain, 'organizations', 'common']) {
      const res = await request(`${authorityHost}/${alias}/v2.0/.well-known/openid-configuration`, { ca: autoCa });
      expect(res.status).toBe(200);
      const meta = res.json();
      expect(meta.issuer).toBe(`${authorityHost}/${tenantId}/v2.0`);
      expect(meta.token_endpoint).toBe(`${authorityHost}/${tenantId}/oauth2/v2.0/token`);
      expect(meta.device_authorization_endpoint).toBe(`${authorityHost}/${tenantId}/oauth2/v2.0/devicecode`);
      expect(meta.id_token_signing_alg_values_supported).toEqual(['RS256']);
    }
    const v1Path = await request(`${authorityHost}/${tenantId}/.well-known/openid-configuration`, { ca: autoCa });
    expect(v1Path.json().jwks_uri).toBe(`${authorityHost}/${tenantId}/discovery/v2.0/keys`);

    const jwks = (await request(`${authorityHost}/${tenantId}/discovery/v2.0/keys`, { ca: autoCa })).json();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0].d).toBeUndefined();

    const discovery = (await request(`${authorityHost}/common/discovery/instance?api-version=1.1`, { ca: autoCa })).json();
    expect(discovery.metadata[0].aliases).toEqual([new URL(authorityHost).host]);

    const unknown = await request(`${authorityHost}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration`, { ca: autoCa });
    expect(unknown.status).toBe(400);
    expect(unknown.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });

  it('refuses identity endpoints over plain http with an OAuth-shaped error', async () => {
    const { graphBaseUrl, tenantId } = auto.descriptor;
    const res = await request(`${graphBaseUrl}/${tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(400);
    const body = res.json();
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toContain('https');
    expect(body).toHaveProperty('trace_id');
    expect(body).toHaveProperty('correlation_id');
    expect(body).toHaveProperty('timestamp');
  });

  it('rejects a client that does not trust the emulator CA', async () => {
    await expect(request(`${auto.descriptor.authority}/v2.0/.well-known/openid-configuration`)).rejects.toThrow(/self.signed|certificate/i);
  });

  it('signs a user in with the device code flow (auto-approve)', async () => {
    const pca = new PublicClientApplication(msalConfig(auto, autoCa, auto.descriptor.apps.publicClient.clientId));
    let message = '';
    const result = await pca.acquireTokenByDeviceCode({
      scopes: [`${GRAPH}/Files.Read.All`, `${GRAPH}/Sites.Read.All`],
      deviceCodeCallback: (r) => {
        message = r.message;
      },
    });
    expect(message).toMatch(/^To sign in, use a web browser to open the page https:\/\/127\.0\.0\.1:\d+\/devicelogin and enter the code [A-Z]{4}-[A-Z]{4} /);
    expect(result).not.toBeNull();
    const claims = decodeJwt(result!.accessToken);
    const adele = auto.tenant.users.find((u) => u.upn === ADELE)!;
    expect(claims).toMatchObject({
      aud: GRAPH,
      iss: `https://sts.windows.net/${auto.tenant.id}/`,
      tid: auto.tenant.id,
      oid: adele.id,
      upn: ADELE,
      scp: 'Files.Read.All Sites.Read.All',
      appid: auto.descriptor.apps.publicClient.clientId,
      idtyp: 'user',
      ver: '1.0',
    });
    expect(result!.account?.username).toBe(ADELE);
    expect(result!.account?.homeAccountId).toBe(`${adele.id}.${auto.tenant.id}`);
    expect(result!.idTokenClaims).toMatchObject({ aud: auto.descriptor.apps.publicClient.clientId, ver: '2.0', tid: auto.tenant.id });
    expect(result!.scopes).toEqual(expect.arrayContaining([`${GRAPH}/Files.Read.All`, `${GRAPH}/Sites.Read.All`]));

    // Refresh: a forced silent call must go to the token endpoint with the refresh_token grant.
    const before = auto.stats().tokenRequests.byGrant['refresh_token'] ?? 0;
    const [account] = await pca.getAllAccounts();
    const refreshed = await pca.acquireTokenSilent({ account: account!, scopes: [`${GRAPH}/Files.Read.All`], forceRefresh: true });
    expect(refreshed.accessToken).not.toBe(result!.accessToken);
    expect(decodeJwt(refreshed.accessToken).scp).toBe('Files.Read.All');
    expect(auto.stats().tokenRequests.byGrant['refresh_token']).toBe(before + 1);

    // On the token endpoint MSAL does surface OAuth errors with their own code.
    await expect(
      pca.acquireTokenSilent({ account: account!, scopes: [`${GRAPH}/Mail.Send`], forceRefresh: true }),
    ).rejects.toMatchObject({ errorCode: 'invalid_scope' });

    // Admin consent (the default) covers every delegated scope of the app, so a refresh may widen
    // (with per-user consent it may not: see the userConsent test).
    const widened = await pca.acquireTokenSilent({ account: account!, scopes: [`${GRAPH}/OnlineMeetingAiInsight.Read.All`], forceRefresh: true });
    expect(decodeJwt(widened.accessToken).scp).toBe('OnlineMeetingAiInsight.Read.All');

    const stats = auto.stats();
    expect(stats.tokenRequests.issuedByGrant['device_code']).toBe(1);
    expect(stats.tokenRequests.byUser[ADELE]).toBeGreaterThanOrEqual(2);
    expect(stats.tokenRequests.byClient[auto.descriptor.apps.publicClient.clientId]).toBeGreaterThanOrEqual(3);
    expect(stats.deviceCodes).toMatchObject({ issued: 1, approved: 1 });
  });

  it('names an unknown scope in an invalid_scope error', async () => {
    const { authority, apps } = auto.descriptor;
    const raw = await postForm(`${authority}/oauth2/v2.0/devicecode`, { client_id: apps.publicClient.clientId, scope: `${GRAPH}/Mail.Send openid` }, autoCa);
    expect(raw.status).toBe(400);
    expect(raw.json()).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
    expect(raw.json().error_description).toContain('Mail.Send');

    // MSAL quirk: it ignores an error from the devicecode endpoint, calls deviceCodeCallback with
    // an empty object, then polls with device_code=undefined and reports that poll's invalid_grant.
    const pca = new PublicClientApplication(msalConfig(auto, autoCa, apps.publicClient.clientId));
    const seen: unknown[] = [];
    const attempt = pca.acquireTokenByDeviceCode({ scopes: [`${GRAPH}/Mail.Send`], deviceCodeCallback: (r) => seen.push(r) });
    await expect(attempt).rejects.toMatchObject({ errorCode: 'post_request_failed' });
    expect(seen).toEqual([{}]);
  });

  it('waits for approval through the control route, then signs in the approving user', async () => {
    const pca = new PublicClientApplication(msalConfig(manual, manualCa, manual.descriptor.apps.publicClient.clientId));
    const approvals: Promise<unknown>[] = [];
    const result = await pca.acquireTokenByDeviceCode({
      scopes: [`${GRAPH}/Files.Read.All`],
      deviceCodeCallback: (r) => {
        expect(r.interval).toBe(1);
        expect(r.expiresIn).toBe(900);
        approvals.push(controlPost(manual.descriptor, `/devicecode/approve`, { userCode: r.userCode.toLowerCase(), upn: MEGAN }));
      },
    });
    const [approval] = (await Promise.all(approvals)) as { status: number }[];
    expect(approval?.status).toBe(200);
    expect(result?.account?.username).toBe(MEGAN);
    expect(decodeJwt(result!.accessToken).upn).toBe(MEGAN);
    expect(manual.stats().tokenRequests.byUser[MEGAN]).toBe(1);
  });

  it('fails the device code flow when the user denies', async () => {
    const pca = new PublicClientApplication(msalConfig(manual, manualCa, manual.descriptor.apps.publicClient.clientId));
    const attempt = pca.acquireTokenByDeviceCode({
      scopes: [`${GRAPH}/Files.Read.All`],
      deviceCodeCallback: (r) => {
        void controlPost(manual.descriptor, `/devicecode/deny`, { userCode: r.userCode });
      },
    });
    await expect(attempt).rejects.toThrow(/access_denied/);
  });

  it('redeems a device code once, and expires it after 15 minutes', async () => {
    const { authority, apps } = manual.descriptor;
    const clientId = apps.publicClient.clientId;
    const start = async () => (await postForm(`${authority}/oauth2/v2.0/devicecode`, { client_id: clientId, scope: 'Files.Read.All openid' }, manualCa)).json();
    const poll = (deviceCode: string) =>
      postForm(`${authority}/oauth2/v2.0/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: deviceCode }, manualCa);

    const first = await start();
    expect(first.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect((await poll(first.device_code)).json().error).toBe('authorization_pending');
    expect((await controlPost(manual.descriptor, `/devicecode/approve`, { userCode: first.user_code, upn: ADELE })).status).toBe(200);
    expect((await controlPost(manual.descriptor, `/devicecode/approve`, { userCode: first.user_code, upn: ADELE })).status).toBe(409);
    const tokens = await poll(first.device_code);
    expect(tokens.status).toBe(200);
    const body = tokens.json();
    expect(body.refresh_token).toBeUndefined(); // offline_access was not asked for
    expect(body.id_token).toBeDefined();
    expect(body.scope).toBe(`${GRAPH}/Files.Read.All openid`);
    const again = await poll(first.device_code);
    expect(again.status).toBe(400);
    expect(again.json().error).toBe('invalid_grant');

    const second = await start();
    clockOffsetMs = 901_000;
    try {
      expect((await poll(second.device_code)).json().error).toBe('expired_token');
      expect((await controlPost(manual.descriptor, `/devicecode/approve`, { userCode: second.user_code, upn: ADELE })).status).toBe(410);
    } finally {
      clockOffsetMs = 0;
    }

    const unknownClient = await postForm(`${authority}/oauth2/v2.0/devicecode`, { client_id: 'nope', scope: 'openid' }, manualCa);
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.json()).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    const confidential = await postForm(`${authority}/oauth2/v2.0/devicecode`, { client_id: apps.exportApp.clientId, scope: 'openid' }, manualCa);
    expect(confidential.json().error).toBe('invalid_client');
    const unsupported = await postForm(`${authority}/oauth2/v2.0/token`, { grant_type: 'password', client_id: clientId }, manualCa);
    expect(unsupported.json().error).toBe('unsupported_grant_type');
    expect((await controlPost(manual.descriptor, `/devicecode/approve`, { userCode: 'ZZZZ-ZZZZ', upn: ADELE })).status).toBe(404);
  });

  it('issues app tokens with roles for client credentials, and rejects a wrong secret', async () => {
    const { exportApp } = auto.descriptor.apps;
    const cca = new ConfidentialClientApplication(msalConfig(auto, autoCa, exportApp.clientId, exportApp.clientSecret));
    const result = await cca.acquireTokenByClientCredential({ scopes: [`${GRAPH}/.default`] });
    const claims = decodeJwt(result!.accessToken);
    expect(claims).toMatchObject({ roles: ['AiEnterpriseInteraction.Read.All'], idtyp: 'app', appid: exportApp.clientId, appidacr: '1', aud: GRAPH });
    expect(claims['azp'], 'v1.0 tokens carry appid, not azp').toBeUndefined();
    expect(claims.scp).toBeUndefined();
    expect(claims.upn).toBeUndefined();

    const wrong = new ConfidentialClientApplication(msalConfig(auto, autoCa, exportApp.clientId, 'not-the-secret'));
    await expect(wrong.acquireTokenByClientCredential({ scopes: [`${GRAPH}/.default`] })).rejects.toMatchObject({ errorCode: 'invalid_client' });

    const raw = await postForm(
      `${auto.descriptor.authority}/oauth2/v2.0/token`,
      { grant_type: 'client_credentials', client_id: exportApp.clientId, client_secret: exportApp.clientSecret, scope: `${GRAPH}/Files.Read.All` },
      autoCa,
    );
    expect(raw.status).toBe(400);
    expect(raw.json().error).toBe('invalid_scope');
    const wrongRaw = await postForm(
      `${auto.descriptor.authority}/oauth2/v2.0/token`,
      { grant_type: 'client_credentials', client_id: exportApp.clientId, client_secret: 'x', scope: `${GRAPH}/.default` },
      autoCa,
    );
    expect(wrongRaw.status).toBe(401);
    expect(wrongRaw.json()).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });

    expect(auto.stats().tokenRequests.issuedByGrant['client_credentials']).toBe(1);
    expect(auto.stats().tokenRequests.byClient[exportApp.clientId]).toBe(4);
  });

  it('revokes refresh tokens through the control route', async () => {
    const pca = new PublicClientApplication(msalConfig(auto, autoCa, auto.descriptor.apps.publicClient.clientId));
    await pca.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => undefined });
    const [account] = await pca.getAllAccounts();
    const revoke = await controlPost(auto.descriptor, `/tokens/revoke`, { upn: ADELE });
    expect(revoke.json().revokedRefreshTokens).toBeGreaterThanOrEqual(1);
    await expect(pca.acquireTokenSilent({ account: account!, scopes: ['User.Read'], forceRefresh: true })).rejects.toMatchObject({
      errorCode: 'invalid_grant',
    });
  });

  it('shows a device login page that says it is an emulator', async () => {
    const res = await request(`${auto.descriptor.authorityHost}/devicelogin`, { ca: autoCa });
    expect(res.status).toBe(200);
    expect(res.text).toContain('emulator');
    expect(res.text).toContain('not Microsoft');
  });

  it('auto-approves for the demo user with autoApproveDemoUser or autoApproveUpn "demo"', async () => {
    for (const option of [{ autoApproveDemoUser: true }, { autoApproveUpn: 'demo' }]) {
      const emu = await startEmulator({ tenant: fixtureTenant(), router: echoRouter, ...option });
      try {
        const ca = readFileSync(emu.descriptor.caCertPath, 'utf8');
        const pca = new PublicClientApplication(msalConfig(emu, ca, emu.descriptor.apps.publicClient.clientId));
        const result = await pca.acquireTokenByDeviceCode({ scopes: ['User.Read'], deviceCodeCallback: () => undefined });
        expect(result?.account?.username).toBe(emu.descriptor.demoUser);
      } finally {
        await emu.close();
      }
    }
  });

  it('with per-user consent (userConsent), refuses a refresh asking for a scope not consented at sign-in', async () => {
    const emu = await startEmulator({ tenant: fixtureTenant(), router: echoRouter, autoApproveUpn: ADELE, userConsent: true });
    try {
      const ca = readFileSync(emu.descriptor.caCertPath, 'utf8');
      const pca = new PublicClientApplication(msalConfig(emu, ca, emu.descriptor.apps.publicClient.clientId));
      await pca.acquireTokenByDeviceCode({ scopes: [`${GRAPH}/Files.Read.All`], deviceCodeCallback: () => undefined });
      const [account] = await pca.getAllAccounts();
      await expect(
        pca.acquireTokenSilent({ account: account!, scopes: [`${GRAPH}/OnlineMeetingAiInsight.Read.All`], forceRefresh: true }),
      ).rejects.toMatchObject({ errorCode: 'invalid_grant', errorNo: 65001 });
    } finally {
      await emu.close();
    }
  });

  it('refuses to start with an auto-approve user the tenant does not have, or a zero interval', async () => {
    await expect(startEmulator({ tenant: fixtureTenant(), router: echoRouter, autoApproveUpn: 'nobody@example.com' })).rejects.toThrow(/nobody@example\.com/);
    await expect(startEmulator({ tenant: fixtureTenant(), router: echoRouter, deviceCodeIntervalSec: 0 })).rejects.toThrow(RangeError);
  });

  it('removes the CA directory on close', async () => {
    const emu = await startEmulator({ tenant: fixtureTenant(), router: echoRouter });
    expect(existsSync(emu.descriptor.caCertPath)).toBe(true);
    await emu.close();
    expect(existsSync(emu.descriptor.caCertPath)).toBe(false);
    await expect(controlRequest(emu.descriptor, `/health`)).rejects.toThrow();
  });
});
