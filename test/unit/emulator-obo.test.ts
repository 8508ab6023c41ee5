import { readFileSync } from 'node:fs';
import { ConfidentialClientApplication, PublicClientApplication, type Configuration } from '@azure/msal-node';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { startEmulator, type RunningEmulator } from 'm365-copilot-emulator';
import { generateTenant, tenantFacts } from 'm365-copilot-emulator/tenant-data';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNetworkClient } from '../../src/auth/networkClient.js';
import { decodeJwt, fixtureTenant, postForm, request, controlPost } from '../../packages/emulator/test/helpers/emulator-identity-helpers.js';

/**
 * Remote mode's side of the emulator: tokens for the MCP server's audience (minted and through the
 * real flows) and the on-behalf-of grant, driven by real MSAL Node over HTTPS with the emulator CA.
 */
const GRAPH = 'https://graph.microsoft.com';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

let emu: RunningEmulator;
let ca: string;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  // The demo user approves every device code at once, so the real flows need no clicks.
  emu = await startEmulator({ autoApproveDemoUser: true });
  ca = readFileSync(emu.descriptor.caCertPath, 'utf8');
  jwks = createLocalJWKSet((await request(`${emu.descriptor.authority}/discovery/v2.0/keys`, { ca })).json());
});

afterAll(async () => {
  await emu?.close();
});

beforeEach(async () => {
  await controlPost(emu.descriptor, `/stats/reset`, {});
});

const d = () => emu.descriptor;
const server = () => emu.descriptor.apps.mcpServer;
const exportMember = () => server().exportRoleMembers[0]!;

function msalConfig(clientId: string, extra: Partial<Configuration['auth']> = {}, authority = d().authority): Configuration {
  return {
    auth: { clientId, authority, knownAuthorities: [new URL(d().authorityHost).host], ...extra },
    // The production network module: trusts exactly the emulator's CA for identity traffic.
    system: { networkClient: createNetworkClient({ extraCaPem: ca, onlyExtraCa: true }) },
  };
}

function serverApp(clientSecret = server().clientSecret, authority = d().authority): ConfidentialClientApplication {
  return new ConfidentialClientApplication(msalConfig(server().clientId, { clientSecret }, authority));
}

async function mint(body: Record<string, unknown>): Promise<string> {
  const res = await controlPost(d(), `/tokens/mint`, body);
  expect(res.status, res.text).toBe(200);
  const answer = res.json();
  expect(answer).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
  return answer.access_token as string;
}

async function verifyForServer(token: string, tenantId = d().tenantId): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, jwks, {
    // v2.0 tokens (aud = app id) or v1.0 ones (aud = the identifier URI asked for, the STS as issuer).
    issuer: [`${d().authorityHost}/${tenantId}/v2.0`, `https://sts.windows.net/${tenantId}/`],
    audience: [server().clientId, server().appIdUri],
    algorithms: ['RS256'],
  });
  return payload;
}

async function me(accessToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${d().graphBaseUrl}/v1.0/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function userOf(upn: string) {
  return emu.tenant.users.find((u) => u.upn === upn)!;
}

/** What MSAL rejected with: its error code and the AADSTS description, never the assertion. */
async function refusal(attempt: Promise<unknown>): Promise<{ errorCode: string; errorMessage: string; subError: string }> {
  const err = (await attempt.then(
    () => {
      throw new Error('expected the exchange to be refused');
    },
    (e: unknown) => e,
  )) as { errorCode: string; errorMessage: string; subError: string };
  return err;
}

describe('descriptor and metadata for remote mode', () => {
  it('describes the MCP server app and the other tenant', () => {
    const s = server();
    expect(s.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s).toMatchObject({ appIdUri: `api://${s.clientId}`, scope: 'access_as_user', exportRole: 'Interactions.Export.All' });
    expect(s.clientSecret.length).toBeGreaterThan(20);
    expect(s.exportRoleMembers).not.toContain(d().demoUser);
    expect(s.exportRoleMembers.some((upn) => d().users.find((u) => u.upn === upn)?.copilotLicense)).toBe(true);
    const other = d().otherTenant;
    expect(other.tenantId).not.toBe(d().tenantId);
    expect(other.domain).not.toBe(d().tenantDomain);
    expect(other.users.length).toBeGreaterThanOrEqual(2);
    // Deterministic from the seed: another run of the same seed describes the same registrations.
    expect(new Set([s.clientId, d().apps.publicClient.clientId, d().apps.exportApp.clientId]).size).toBe(3);
  });

  it('serves OpenID metadata and the (common) signing keys for the other tenant too', async () => {
    const other = d().otherTenant;
    for (const segment of [other.tenantId, other.domain]) {
      const meta = (await request(`${d().authorityHost}/${segment}/v2.0/.well-known/openid-configuration`, { ca })).json();
      expect(meta.issuer).toBe(`${d().authorityHost}/${other.tenantId}/v2.0`);
      expect(meta.jwks_uri).toBe(`${d().authorityHost}/${other.tenantId}/discovery/v2.0/keys`);
      expect(meta.token_endpoint).toBe(`${d().authorityHost}/${other.tenantId}/oauth2/v2.0/token`);
    }
    const home = (await request(`${d().authority}/discovery/v2.0/keys`, { ca })).json();
    const away = (await request(`${d().authorityHost}/${other.tenantId}/discovery/v2.0/keys`, { ca })).json();
    expect(away).toEqual(home);
    // No app of ours is registered there: sign-in flows are refused as Entra does.
    const res = await postForm(`${d().authorityHost}/${other.tenantId}/oauth2/v2.0/devicecode`, { client_id: d().apps.publicClient.clientId, scope: 'openid' }, ca);
    expect(res.json()).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    expect(res.json().error_description).toContain(other.domain);
  });
});

describe('tokens for the MCP server audience', () => {
  it('mints an Entra v2 API token that verifies against the served JWKS, with roles only for role holders', async () => {
    const demo = userOf(d().demoUser);
    const token = await mint({ user: demo.upn });
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) });
    const claims = await verifyForServer(token);
    expect(claims).toMatchObject({
      aud: server().clientId,
      iss: `${d().authorityHost}/${d().tenantId}/v2.0`,
      tid: d().tenantId,
      oid: demo.id,
      sub: expect.any(String),
      preferred_username: demo.upn,
      upn: demo.upn,
      name: demo.displayName,
      scp: 'access_as_user',
      azp: d().apps.publicClient.clientId,
      ver: '2.0',
    });
    expect(claims.roles).toBeUndefined();
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp! - claims.iat!).toBe(3600);

    const admin = await verifyForServer(await mint({ user: exportMember() }));
    expect(admin.roles).toEqual(['Interactions.Export.All']);
    // By object id too, with an explicit audience (the app id URI), scope, roles and lifetime.
    const custom = await verifyForServer(
      await mint({ user: demo.id, audience: server().appIdUri, scope: 'access_as_user other.scope', roles: ['Custom.Role'], lifetimeSec: 120 }),
    );
    // A v2.0 token's aud is always the app id, so an identifier URI audience is a v1.0 token.
    expect(custom).toMatchObject({ aud: server().appIdUri, scp: 'access_as_user other.scope', roles: ['Custom.Role'], ver: '1.0', appid: d().apps.publicClient.clientId });
    expect(custom.exp! - custom.iat!).toBe(120);
  });

  it('mints an already expired token for a negative lifetime', async () => {
    const token = await mint({ user: d().demoUser, lifetimeSec: -120 });
    const claims = decodeJwt(token) as { iat: number; nbf: number; exp: number };
    const now = Math.floor(Date.now() / 1000);
    expect(claims.exp).toBeLessThanOrEqual(now - 119);
    expect(claims.iat).toBeLessThan(claims.exp);
    expect(claims.nbf).toBe(claims.iat);
    await expect(verifyForServer(token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  it("mints for the other tenant's users with that tenant as issuer, and says which user is unknown", async () => {
    const stranger = d().otherTenant.users[0]!;
    const claims = await verifyForServer(await mint({ user: stranger.upn }), d().otherTenant.tenantId);
    expect(claims).toMatchObject({ tid: d().otherTenant.tenantId, oid: stranger.id, upn: stranger.upn });
    expect(claims.roles).toBeUndefined();

    const unknown = await controlPost(d(), `/tokens/mint`, { user: 'nobody@contoso-emu.example' });
    expect(unknown.status).toBe(400);
    expect(unknown.json().error.message).toMatch(/No user "nobody@contoso-emu\.example" in contoso-emu\.example .* and fabrikam-emu\.example/);
    const wrongTenant = await controlPost(d(), `/tokens/mint`, { user: stranger.upn, tenant: d().tenantId });
    expect(wrongTenant.status).toBe(400);
    for (const body of [{}, { user: d().demoUser, lifetimeSec: 0 }, { user: d().demoUser, lifetimeSec: 1.5 }, { user: d().demoUser, roles: 'x' }]) {
      expect((await controlPost(d(), `/tokens/mint`, body)).status).toBe(400);
    }
  });

  it('issues the same shape through the device code flow for api://<server>/access_as_user, and refreshes it', async () => {
    const pca = new PublicClientApplication(msalConfig(d().apps.publicClient.clientId));
    const scope = `${server().appIdUri}/access_as_user`;
    const result = await pca.acquireTokenByDeviceCode({ scopes: [scope], deviceCodeCallback: () => {} });
    const claims = await verifyForServer(result!.accessToken);
    expect(claims).toMatchObject({ aud: server().clientId, scp: 'access_as_user', azp: d().apps.publicClient.clientId, upn: d().demoUser, ver: '2.0' });
    expect(result!.scopes).toContain(scope);
    // The Graph gateway does not accept a token that was issued for another audience.
    expect((await me(result!.accessToken)).status).toBe(401);

    const [account] = await pca.getAllAccounts();
    const refreshed = await pca.acquireTokenSilent({ account: account!, scopes: [scope], forceRefresh: true });
    expect(refreshed.accessToken).not.toBe(result!.accessToken);
    expect(await verifyForServer(refreshed.accessToken)).toMatchObject({ aud: server().clientId, scp: 'access_as_user' });
    // The same refresh token serves Graph (admin consent), as Entra's multi-resource refresh tokens do.
    const graph = await pca.acquireTokenSilent({ account: account!, scopes: [`${GRAPH}/User.Read`], forceRefresh: true });
    expect((await me(graph.accessToken)).body['userPrincipalName']).toBe(d().demoUser);
  });

  it('refuses a request naming Graph and the API at once, and an API scope it does not expose', async () => {
    const clientId = d().apps.publicClient.clientId;
    const both = await postForm(`${d().authority}/oauth2/v2.0/devicecode`, { client_id: clientId, scope: `${server().appIdUri}/access_as_user ${GRAPH}/User.Read` }, ca);
    expect(both.json()).toMatchObject({ error: 'invalid_scope', error_codes: [28000] });
    const unknown = await postForm(`${d().authority}/oauth2/v2.0/devicecode`, { client_id: clientId, scope: `${server().appIdUri}/Everything` }, ca);
    expect(unknown.json()).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
    // The client id works as the resource prefix too, as in Entra.
    const byId = await postForm(`${d().authority}/oauth2/v2.0/devicecode`, { client_id: clientId, scope: `${server().clientId}/access_as_user` }, ca);
    expect(byId.status).toBe(200);
  });
});

describe('on-behalf-of (real MSAL ConfidentialClientApplication)', () => {
  it('exchanges a user token for a Graph token that the emulated Graph accepts as the same user', async () => {
    const user = userOf(exportMember());
    const assertion = await mint({ user: user.upn });
    const result = await serverApp().acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [`${GRAPH}/User.Read`, `${GRAPH}/Files.Read.All`] });
    expect(result).not.toBeNull();
    const claims = decodeJwt(result!.accessToken);
    expect(claims).toMatchObject({
      aud: GRAPH,
      iss: `https://sts.windows.net/${d().tenantId}/`,
      tid: d().tenantId,
      oid: user.id,
      upn: user.upn,
      appid: server().clientId,
      // v1.0 claim set: appid + appidacr (1: the server proved a client secret), no azp.
      appidacr: '1',
      scp: 'User.Read Files.Read.All',
      idtyp: 'user',
    });
    expect(claims['azp']).toBeUndefined();
    expect(result!.account?.homeAccountId).toBe(`${user.id}.${d().tenantId}`);
    const answer = await me(result!.accessToken);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: user.id, userPrincipalName: user.upn });

    const stats = emu.stats().tokenRequests;
    expect(stats.byGrant['on_behalf_of']).toBe(1);
    expect(stats.issuedByGrant['on_behalf_of']).toBe(1);
    expect(stats.byGrantAndUser['on_behalf_of']).toEqual({ [user.upn]: 1 });
    expect(stats.byClient[server().clientId]).toBe(1);
    expect(stats.byClientAuth['secret']).toBe(1);
  });

  it('exchanges the token a user got through device code, and counts OBO requests per user', async () => {
    const pca = new PublicClientApplication(msalConfig(d().apps.publicClient.clientId));
    const signedIn = await pca.acquireTokenByDeviceCode({ scopes: [`${server().appIdUri}/access_as_user`], deviceCodeCallback: () => {} });
    const cca = serverApp();
    const first = await cca.acquireTokenOnBehalfOf({ oboAssertion: signedIn!.accessToken, scopes: [`${GRAPH}/Sites.Read.All`] });
    expect(decodeJwt(first!.accessToken)).toMatchObject({ upn: d().demoUser, scp: 'Sites.Read.All' });
    // MSAL answers the same assertion and scopes from its cache: the emulator sees one request.
    const again = await cca.acquireTokenOnBehalfOf({ oboAssertion: signedIn!.accessToken, scopes: [`${GRAPH}/Sites.Read.All`] });
    expect(again!.accessToken).toBe(first!.accessToken);

    const other = userOf(exportMember());
    await serverApp().acquireTokenOnBehalfOf({ oboAssertion: await mint({ user: other.upn }), scopes: [`${GRAPH}/User.Read`] });
    await serverApp().acquireTokenOnBehalfOf({ oboAssertion: await mint({ user: other.upn }), scopes: [`${GRAPH}/User.Read`] });
    const stats = emu.stats().tokenRequests;
    expect(stats.byGrantAndUser['on_behalf_of']).toEqual({ [d().demoUser]: 1, [other.upn]: 2 });
    expect(stats.byGrant['on_behalf_of']).toBe(3);
    expect(stats.byGrantAndUser['device_code']).toEqual({ [d().demoUser]: 1 });
  });

  it('refuses an expired assertion (AADSTS500133)', async () => {
    const expired = await mint({ user: d().demoUser, lifetimeSec: -60 });
    const err = await refusal(serverApp().acquireTokenOnBehalfOf({ oboAssertion: expired, scopes: [`${GRAPH}/User.Read`] }));
    expect(err.errorCode).toBe('invalid_grant');
    expect(err.errorMessage).toContain('AADSTS500133');
    expect(err.errorMessage).not.toContain(expired);
    expect(emu.stats().tokenRequests.errors['invalid_grant']).toBe(1);
  });

  it('refuses a Graph token as the assertion: wrong audience (AADSTS500131)', async () => {
    const graphToken = await mint({ user: d().demoUser, audience: GRAPH });
    expect((await me(graphToken)).status).toBe(200);
    const err = await refusal(serverApp().acquireTokenOnBehalfOf({ oboAssertion: graphToken, scopes: [`${GRAPH}/User.Read`] }));
    expect(err.errorCode).toBe('invalid_grant');
    expect(err.errorMessage).toContain('AADSTS500131');
    expect(err.errorMessage).toContain('Assertion audience does not match');
  });

  it("refuses the other tenant's users: the app is not in their directory (AADSTS700016)", async () => {
    const stranger = d().otherTenant.users[0]!;
    const assertion = await mint({ user: stranger.upn });
    // As a broker does: the exchange goes to the caller's tenant.
    const there = await refusal(
      serverApp(server().clientSecret, `${d().authorityHost}/${d().otherTenant.tenantId}`).acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [`${GRAPH}/User.Read`] }),
    );
    expect(there.errorCode).toBe('unauthorized_client');
    expect(there.errorMessage).toContain('AADSTS700016');
    expect(there.errorMessage).toContain(d().otherTenant.domain);
    // Posted to a multi-tenant alias, Entra also looks in the user's directory. (MSAL itself posts to
    // the token endpoint the alias's metadata names, which is this tenant's in the emulator.)
    const viaAlias = await postForm(
      `${d().authorityHost}/organizations/oauth2/v2.0/token`,
      { grant_type: JWT_BEARER, requested_token_use: 'on_behalf_of', assertion, scope: `${GRAPH}/User.Read`, client_id: server().clientId, client_secret: server().clientSecret },
      ca,
    );
    expect(viaAlias.json()).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    // At this tenant's own endpoint, the assertion is simply not this tenant's.
    const here = await refusal(serverApp().acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [`${GRAPH}/User.Read`] }));
    expect(here.errorCode).toBe('invalid_grant');
    expect(here.errorMessage).toContain('AADSTS50013');
  });

  it('refuses a wrong client secret (AADSTS7000215) without echoing it', async () => {
    const wrong = 'emu00~not-the-secret-of-this-app-at-all';
    const err = await refusal(serverApp(wrong).acquireTokenOnBehalfOf({ oboAssertion: await mint({ user: d().demoUser }), scopes: [`${GRAPH}/User.Read`] }));
    expect(err.errorCode).toBe('invalid_client');
    expect(err.errorMessage).toContain('AADSTS7000215');
    expect(err.errorMessage).not.toContain(wrong);
  });

  it('refuses a tampered assertion (AADSTS50013)', async () => {
    const real = await mint({ user: d().demoUser });
    const [header, payload, signature] = real.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const admin = userOf(exportMember());
    // Someone edits the claims to become another user and keeps the old signature.
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, oid: admin.id, upn: admin.upn })).toString('base64url');
    for (const forged of [`${header}.${forgedPayload}.${signature}`, `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`]) {
      const err = await refusal(serverApp().acquireTokenOnBehalfOf({ oboAssertion: forged, scopes: [`${GRAPH}/User.Read`] }));
      expect(err.errorCode).toBe('invalid_grant');
      expect(err.errorMessage).toContain('AADSTS50013');
    }
    expect(emu.stats().tokenRequests.issuedByGrant['on_behalf_of']).toBeUndefined();
  });

  it('refuses a Graph permission nobody consented to (AADSTS65001, consent_required)', async () => {
    const err = await refusal(serverApp().acquireTokenOnBehalfOf({ oboAssertion: await mint({ user: d().demoUser }), scopes: [`${GRAPH}/Mail.Send`] }));
    expect(err.errorCode).toBe('invalid_grant');
    expect(err.subError).toBe('consent_required');
    expect(err.errorMessage).toContain('AADSTS65001');
    expect(err.errorMessage).toContain('Mail.Send');
  });

  it('checks the raw grant like Entra: confidential client, requested_token_use, assertion', async () => {
    const token = `${d().authority}/oauth2/v2.0/token`;
    const assertion = await mint({ user: d().demoUser });
    const base = { grant_type: JWT_BEARER, scope: `${GRAPH}/User.Read openid profile offline_access`, assertion, requested_token_use: 'on_behalf_of' };
    const ok = await postForm(token, { ...base, client_id: server().clientId, client_secret: server().clientSecret }, ca);
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ token_type: 'Bearer', scope: `${GRAPH}/User.Read openid profile offline_access` });
    expect(ok.json().refresh_token).toMatch(/^EMU-RT\./);
    expect(decodeJwt(ok.json().id_token)).toMatchObject({ aud: server().clientId, tid: d().tenantId });
    // Client secret in an Authorization: Basic header works too.
    const basic = Buffer.from(`${encodeURIComponent(server().clientId)}:${encodeURIComponent(server().clientSecret)}`).toString('base64');
    const viaBasic = await request(token, {
      method: 'POST',
      ca,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic}` },
      body: new URLSearchParams(base).toString(),
    });
    expect(viaBasic.status).toBe(200);

    const publicClient = await postForm(token, { ...base, client_id: d().apps.publicClient.clientId }, ca);
    expect(publicClient.json()).toMatchObject({ error: 'invalid_client', error_codes: [7000218] });
    const { requested_token_use: _use, ...noUse } = base;
    const missingUse = await postForm(token, { ...noUse, client_id: server().clientId, client_secret: server().clientSecret }, ca);
    expect(missingUse.json()).toMatchObject({ error: 'invalid_request', error_codes: [900144] });
    const noAssertion = await postForm(token, { ...base, assertion: '', client_id: server().clientId, client_secret: server().clientSecret }, ca);
    expect(noAssertion.json()).toMatchObject({ error: 'invalid_request', error_codes: [900144] });
    const garbage = await postForm(token, { ...base, assertion: 'not.a.jwt', client_id: server().clientId, client_secret: server().clientSecret }, ca);
    expect(garbage.json()).toMatchObject({ error: 'invalid_grant', error_codes: [50027] });
  });

  it('honours errors queued for the on_behalf_of grant', async () => {
    const user = userOf(exportMember());
    const queued = await controlPost(d(), `/errors/next`, { error: 'interaction_required', grant: 'on_behalf_of', upn: user.upn });
    expect(queued.status).toBe(200);
    const err = await refusal(serverApp().acquireTokenOnBehalfOf({ oboAssertion: await mint({ user: user.upn }), scopes: [`${GRAPH}/User.Read`] }));
    expect(err.errorCode).toBe('interaction_required');
    expect(err.errorMessage).toContain('AADSTS50076');
    // Used up: the next exchange succeeds.
    const ok = await serverApp().acquireTokenOnBehalfOf({ oboAssertion: await mint({ user: user.upn }), scopes: [`${GRAPH}/User.Read`] });
    expect(decodeJwt(ok!.accessToken).oid).toBe(user.id);
  });
});

describe('generator: remote-mode registrations and more users', () => {
  const now = new Date('2026-03-10T12:00:00Z');

  it('keeps the default tenant as it was, and derives the server app and the other tenant from the seed', () => {
    const base = generateTenant({ now });
    expect(generateTenant({ now, users: 10 })).toEqual(base);
    expect(generateTenant({ now }).apps.mcpServer).toEqual(base.apps.mcpServer);
    expect(generateTenant({ now, seed: 2 }).apps.mcpServer!.clientId).not.toBe(base.apps.mcpServer!.clientId);
    const facts = tenantFacts(base);
    expect(facts.remote.exportRoleMember.copilotLicense).toBe(true);
    expect(facts.remote.exportRoleMembers.map((u) => u.upn)).not.toContain(base.demoUserUpn);
    expect(facts.personalDocs).toBeUndefined();
  });

  it('adds generated users after the named ten, with facts that still hold', () => {
    const base = generateTenant({ now });
    const big = generateTenant({ now, users: 50 });
    expect(big.users.slice(0, 10)).toEqual(base.users);
    expect(big.users).toHaveLength(50);
    const facts = tenantFacts(big);
    expect(facts.personalDocs).toHaveLength(50);
    for (const { user, document } of facts.personalDocs!) expect(document.readers).toEqual([user.id]);
    for (const users of [9, 1001, 12.5]) expect(() => generateTenant({ now, users })).toThrow(RangeError);
  });

  it('gives a hand-built tenant the same parts, derived from its id', async () => {
    const fixture = await startEmulator({ tenant: fixtureTenant() });
    try {
      expect(fixture.descriptor.apps.mcpServer.appIdUri).toBe(`api://${fixture.descriptor.apps.mcpServer.clientId}`);
      expect(fixture.descriptor.otherTenant.users.length).toBeGreaterThan(0);
      const again = await startEmulator({ tenant: fixtureTenant() });
      expect(again.descriptor.apps.mcpServer.clientId).toBe(fixture.descriptor.apps.mcpServer.clientId);
      await again.close();
    } finally {
      await fixture.close();
    }
  });
});
