import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/startEmulator.js';
import { controlPost, controlRequest, decodeJwt, echoRouter, fixtureTenant, postForm, request } from './helpers/emulator-identity-helpers.js';

/**
 * What breaks remote MCP servers protected by Entra in the field: the RFC 8707 `resource` MCP clients
 * send must be an identifier URI of the app whose scope is requested (AADSTS9010010 otherwise), and
 * the API's token version decides the claim set (access-token-claims-reference).
 */
const ADELE = 'adele.vance@contoso-emu.example';
const GRAPH = 'https://graph.microsoft.com';
const PUBLIC_URL = 'https://mcp.contoso-emu.example/mcp';

let emu: RunningEmulator;
let ca: string;

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const server = () => emu.descriptor.apps.mcpServer;
const register = (body: unknown) => controlPost(emu.descriptor, '/apps/mcp-server', body);

/** GET /authorize as a browser would (the emulator auto-approves): the redirect's query. */
async function authorize(params: Record<string, string>): Promise<URLSearchParams> {
  const res = await request(`${emu.descriptor.authority}/oauth2/v2.0/authorize?${new URLSearchParams(params)}`, { ca });
  expect(res.status, res.text).toBe(302);
  return new URL(String(res.headers['location'])).searchParams;
}

/** Authorization code + PKCE with `resource` in both requests, as MCP clients do. */
async function signIn(scope: string, resource: string | undefined, tokenResource = resource) {
  const { verifier, challenge } = pkcePair();
  const redirect = 'http://127.0.0.1:33418/callback';
  const base = { client_id: emu.descriptor.apps.publicClient.clientId, response_type: 'code', redirect_uri: redirect, scope, state: 's', code_challenge: challenge, code_challenge_method: 'S256' };
  const answer = await authorize(resource === undefined ? base : { ...base, resource });
  const code = answer.get('code');
  if (code === null) return { authorizeError: answer, token: undefined };
  const form: Record<string, string> = { grant_type: 'authorization_code', client_id: base.client_id, code, redirect_uri: redirect, code_verifier: verifier };
  if (tokenResource !== undefined) form['resource'] = tokenResource;
  const token = await postForm(`${emu.descriptor.authority}/oauth2/v2.0/token`, form, ca);
  return { authorizeError: undefined, token };
}

beforeAll(async () => {
  emu = await startEmulator({ tenant: fixtureTenant(), router: echoRouter, autoApproveUpn: ADELE });
  ca = readFileSync(emu.descriptor.caCertPath, 'utf8');
});

afterAll(async () => {
  await emu?.close();
});

describe('the server app registration is tenant data', () => {
  it('starts with the default identifier URI only, changes on request, and a reset restores it', async () => {
    const initial = (await controlRequest(emu.descriptor, '/apps/mcp-server')).json();
    expect(initial).toMatchObject({ identifierUris: [server().appIdUri], exposedScopes: ['access_as_user'], requestedAccessTokenVersion: 2 });
    const changed = await register({ identifierUris: [server().appIdUri, PUBLIC_URL] });
    expect(changed.status).toBe(200);
    expect(changed.json().identifierUris).toEqual([server().appIdUri, PUBLIC_URL]);
    for (const bad of [['http://mcp.contoso-emu.example/mcp'], ['https://x.example/mcp?x=1'], [PUBLIC_URL, PUBLIC_URL.toUpperCase()]]) {
      expect((await register({ identifierUris: bad })).status, JSON.stringify(bad)).toBe(400);
    }
    expect((await controlPost(emu.descriptor, '/reset', {})).status).toBe(200);
    expect((await controlRequest(emu.descriptor, '/apps/mcp-server')).json().identifierUris).toEqual([server().appIdUri]);
  });
});

describe('resource indicator (RFC 8707) against identifier URIs', () => {
  beforeAll(async () => {
    await controlPost(emu.descriptor, '/reset', {});
    expect((await register({ identifierUris: [server().appIdUri, PUBLIC_URL] })).status).toBe(200);
  });

  it('signs in when resource is an identifier URI of the app whose scope is requested, in both requests', async () => {
    const { token } = await signIn(`${PUBLIC_URL}/access_as_user offline_access`, PUBLIC_URL);
    expect(token?.status, token?.text).toBe(200);
    const body = token!.json();
    expect(body.scope).toContain(`${PUBLIC_URL}/access_as_user`);
    // v2.0 (the registration asks for it): aud is the app id whatever the client named the API by.
    expect(decodeJwt(body.access_token)).toMatchObject({
      aud: server().clientId,
      iss: `${emu.descriptor.authorityHost}/${emu.descriptor.tenantId}/v2.0`,
      azp: emu.descriptor.apps.publicClient.clientId,
      azpacr: '0',
      scp: 'access_as_user',
      ver: '2.0',
    });
    // The refresh repeats resource too.
    const refreshed = await postForm(
      `${emu.descriptor.authority}/oauth2/v2.0/token`,
      { grant_type: 'refresh_token', client_id: emu.descriptor.apps.publicClient.clientId, refresh_token: body.refresh_token, scope: `${PUBLIC_URL}/access_as_user`, resource: PUBLIC_URL },
      ca,
    );
    expect(refreshed.status, refreshed.text).toBe(200);
  });

  it('refuses a resource that is not an identifier URI of that app with AADSTS9010010, a trailing slash included', async () => {
    for (const resource of [`${PUBLIC_URL}/`, 'https://mcp.contoso-emu.example', 'https://elsewhere.example/mcp']) {
      const { authorizeError } = await signIn(`${PUBLIC_URL}/access_as_user`, resource);
      expect(authorizeError?.get('error'), resource).toBe('invalid_target');
      expect(authorizeError?.get('error_description'), resource).toMatch(/^AADSTS9010010: The resource parameter provided in the request doesn't match with the requested scopes\./);
    }
    // The scope under api://<id> with the public URL as resource: the same app, so accepted.
    expect((await signIn(`${server().appIdUri}/access_as_user`, PUBLIC_URL)).token?.status).toBe(200);
    // A Graph scope with the MCP server's resource: another app.
    expect((await signIn(`${GRAPH}/User.Read`, PUBLIC_URL)).authorizeError?.get('error_description')).toMatch(/^AADSTS9010010/);
    // The token request is checked as well.
    const { token } = await signIn(`${PUBLIC_URL}/access_as_user`, PUBLIC_URL, `${PUBLIC_URL}/`);
    expect(token?.status).toBe(400);
    expect(token?.json().error_codes).toEqual([9010010]);
    // And the device code endpoint.
    const device = await postForm(`${emu.descriptor.authority}/oauth2/v2.0/devicecode`, { client_id: emu.descriptor.apps.publicClient.clientId, scope: `${PUBLIC_URL}/access_as_user`, resource: `${PUBLIC_URL}/` }, ca);
    expect(device.json().error_codes).toEqual([9010010]);
  });

  it('reads a bare scope as Graph (AADSTS70011) and an unknown resource as AADSTS500011', async () => {
    const bare = await signIn('access_as_user', undefined);
    expect(bare.authorizeError?.get('error')).toBe('invalid_scope');
    expect(bare.authorizeError?.get('error_description')).toMatch(/^AADSTS70011/);
    const unknown = await signIn('https://unknown.contoso-emu.example/mcp/access_as_user', undefined);
    expect(unknown.authorizeError?.get('error')).toBe('invalid_resource');
    expect(unknown.authorizeError?.get('error_description')).toMatch(/^AADSTS500011: The resource principal named https:\/\/unknown\.contoso-emu\.example\/mcp was not found/);
  });

  it('issues v1.0 tokens when the registration asks for them: aud is the identifier URI asked for, appid/appidacr', async () => {
    await register({ requestedAccessTokenVersion: 1 });
    try {
      const { token } = await signIn(`${PUBLIC_URL}/access_as_user`, PUBLIC_URL);
      expect(token?.status, token?.text).toBe(200);
      const claims = decodeJwt(token!.json().access_token);
      expect(claims).toMatchObject({
        aud: PUBLIC_URL,
        iss: `https://sts.windows.net/${emu.descriptor.tenantId}/`,
        appid: emu.descriptor.apps.publicClient.clientId,
        appidacr: '0',
        unique_name: ADELE,
        ver: '1.0',
      });
      expect(claims['azp']).toBeUndefined();
      expect(claims['preferred_username']).toBeUndefined();
    } finally {
      await register({ requestedAccessTokenVersion: 2 });
    }
  });
});

describe('discovery like Entra', () => {
  it('publishes no code_challenge_methods_supported and no registration endpoint, and still requires S256', async () => {
    const meta = (await request(`${emu.descriptor.authority}/v2.0/.well-known/openid-configuration`, { ca })).json();
    expect(meta).not.toHaveProperty('code_challenge_methods_supported');
    expect(meta).not.toHaveProperty('registration_endpoint');
    // No dynamic client registration (Entra has none).
    const register = await request(`${emu.descriptor.authority}/oauth2/v2.0/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"redirect_uris":["http://127.0.0.1:1/cb"]}', ca });
    expect(register.status).toBeGreaterThanOrEqual(400);
    const plain = await authorize({ client_id: emu.descriptor.apps.publicClient.clientId, response_type: 'code', redirect_uri: 'http://127.0.0.1:1/cb', scope: 'User.Read', code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' });
    expect(plain.get('error_description')).toContain('S256');
  });
});

describe('client credentials for a web API of the tenant', () => {
  it('issues an app token for {identifier URI}/.default in the API token version, and AADSTS500011 for an unknown resource', async () => {
    await controlPost(emu.descriptor, '/reset', {});
    await register({ identifierUris: [server().appIdUri, PUBLIC_URL] });
    const ask = (scope: string) =>
      postForm(`${emu.descriptor.authority}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: server().clientId, client_secret: server().clientSecret, scope }, ca);
    const v2 = await ask(`${PUBLIC_URL}/.default`);
    expect(v2.status, v2.text).toBe(200);
    // azpacr 1: the client proved a secret (access-token-claims-reference).
    expect(decodeJwt(v2.json().access_token)).toMatchObject({ aud: server().clientId, azp: server().clientId, azpacr: '1', idtyp: 'app', ver: '2.0' });
    expect(decodeJwt(v2.json().access_token)['scp']).toBeUndefined();
    await register({ requestedAccessTokenVersion: 1 });
    const v1 = await ask(`${PUBLIC_URL}/.default`);
    expect(decodeJwt(v1.json().access_token)).toMatchObject({ aud: PUBLIC_URL, appid: server().clientId, appidacr: '1', ver: '1.0' });
    const unknown = await ask(`${PUBLIC_URL}/other/.default`);
    expect(unknown.json().error_codes).toEqual([500011]);
    await controlPost(emu.descriptor, '/reset', {});
  });
});
