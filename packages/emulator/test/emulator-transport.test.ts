import { readFileSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/startEmulator.js';
import { createEmulatorLogger } from '../src/emulatorLogger.js';
import { echoRouter, fixtureTenant, postForm, request, type RawResponse, controlRequest } from './helpers/emulator-identity-helpers.js';

const ADELE = 'adele.vance@contoso-emu.example';
const GRAPH = 'https://graph.microsoft.com';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function delegatedTokens(emu: RunningEmulator, ca: string, scope: string): Promise<{ access_token: string; id_token: string }> {
  const { authority, apps } = emu.descriptor;
  const start = (await postForm(`${authority}/oauth2/v2.0/devicecode`, { client_id: apps.publicClient.clientId, scope }, ca)).json();
  const res = await postForm(
    `${authority}/oauth2/v2.0/token`,
    { grant_type: 'device_code', client_id: apps.publicClient.clientId, device_code: start.device_code },
    ca,
  );
  expect(res.status).toBe(200);
  return res.json();
}

async function appToken(emu: RunningEmulator, ca: string): Promise<string> {
  const { authority, apps } = emu.descriptor;
  const res = await postForm(
    `${authority}/oauth2/v2.0/token`,
    { grant_type: 'client_credentials', client_id: apps.exportApp.clientId, client_secret: apps.exportApp.clientSecret, scope: `${GRAPH}/.default` },
    ca,
  );
  return res.json().access_token;
}

function graphGet(emu: RunningEmulator, path: string, token?: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return request(`${emu.descriptor.graphBaseUrl}${path}`, {
    headers: { ...headers, ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) },
  });
}

function expectGraphError(res: RawResponse, status: number, code: string): void {
  expect(res.status).toBe(status);
  const body = res.json();
  expect(body.error.code).toBe(code);
  expect(body.error.innerError['request-id']).toBe(res.headers['request-id']);
  expect(body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
}

describe('emulator transport: one port, https + http, Graph gateway', () => {
  let emu: RunningEmulator;
  let ca: string;
  let clockOffsetMs = 0;
  let delegated: { access_token: string; id_token: string };
  let app: string;

  beforeAll(async () => {
    emu = await startEmulator({
      tenant: fixtureTenant(),
      router: echoRouter,
      autoApproveUpn: ADELE,
      clock: () => Date.now() + clockOffsetMs,
      logger: createEmulatorLogger('silent'), // the router-bug test would log its expected error
    });
    ca = readFileSync(emu.descriptor.caCertPath, 'utf8');
    delegated = await delegatedTokens(emu, ca, `${GRAPH}/Files.Read.All Sites.Read.All openid offline_access`);
    app = await appToken(emu, ca);
  });

  afterAll(async () => {
    await emu?.close();
  });

  it('answers health on both schemes of the same port', async () => {
    expect((await request(`${emu.url.http}/_emulator/health`)).status).toBe(200);
    expect((await request(`${emu.url.https}/_emulator/health`, { ca })).json().status).toBe('ok');
    expect(new URL(emu.url.http).port).toBe(new URL(emu.url.https).port);
  });

  it('rejects a request without a token with 401, the Graph envelope and standard headers', async () => {
    const res = await graphGet(emu, '/v1.0/me', undefined, { 'client-request-id': 'c0ffee00-0000-4000-8000-000000000001' });
    expectGraphError(res, 401, 'InvalidAuthenticationToken');
    expect(res.json().error.message).toBe('Access token is empty.');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(res.headers['request-id']).toMatch(GUID);
    expect(res.headers['client-request-id']).toBe('c0ffee00-0000-4000-8000-000000000001');
    expect(res.headers['content-type']).toBe('application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8');
    expect(res.headers['odata-version']).toBe('4.0');
    expect(JSON.parse(String(res.headers['x-ms-ags-diagnostic'])).ServerInfo).toBeDefined();
  });

  it('rejects garbage, a token for another audience, and an expired token', async () => {
    const garbage = await graphGet(emu, '/v1.0/me', 'not-a-jwt');
    expectGraphError(garbage, 401, 'InvalidAuthenticationToken');
    expect(garbage.headers['client-request-id']).toBe(garbage.headers['request-id']);

    const idToken = await graphGet(emu, '/v1.0/me', delegated.id_token);
    expectGraphError(idToken, 401, 'InvalidAuthenticationToken');
    expect(idToken.json().error.message).toMatch(/audience|issuer/);

    const tampered = delegated.access_token.slice(0, -4) + (delegated.access_token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expectGraphError(await graphGet(emu, '/v1.0/me', tampered), 401, 'InvalidAuthenticationToken');

    clockOffsetMs = 2 * 3600_000;
    try {
      const expired = await graphGet(emu, '/v1.0/me', delegated.access_token);
      expectGraphError(expired, 401, 'InvalidAuthenticationToken');
      expect(expired.json().error.message).toContain('expired');
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('hands the router a decoded path, the query, the caller and the request id', async () => {
    const res = await graphGet(emu, "/v1.0/users/a%2Fb/x%20y?$top=5&$filter=name%20eq%20'x'", delegated.access_token, {
      'client-request-id': 'c0ffee00-0000-4000-8000-000000000002',
    });
    expect(res.status).toBe(200);
    const echo = res.json();
    const adele = emu.tenant.users.find((u) => u.upn === ADELE)!;
    expect(echo).toMatchObject({
      method: 'GET',
      version: 'v1.0',
      path: '/users/a/b/x y',
      query: { $top: '5', $filter: "name eq 'x'" },
      caller: {
        kind: 'delegated',
        tenantId: emu.tenant.id,
        userId: adele.id,
        upn: ADELE,
        appId: emu.descriptor.apps.publicClient.clientId,
        scopes: ['Files.Read.All', 'Sites.Read.All'],
      },
      baseUrl: emu.descriptor.graphBaseUrl,
    });
    expect(echo.requestId).toBe(res.headers['request-id']);
    expect(res.headers['client-request-id']).toBe('c0ffee00-0000-4000-8000-000000000002');
  });

  it('passes app callers and JSON bodies through, over https too', async () => {
    const res = await request(`${emu.url.https}/beta/copilot/retrieval`, {
      method: 'POST',
      ca,
      headers: { Authorization: `Bearer ${app}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ queryString: 'vpn' }),
    });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      version: 'beta',
      path: '/copilot/retrieval',
      body: { queryString: 'vpn' },
      caller: { kind: 'app', roles: ['AiEnterpriseInteraction.Read.All'], appId: emu.descriptor.apps.exportApp.clientId },
      baseUrl: emu.url.https,
    });
  });

  it('answers bad JSON with 400, oversized bodies with 413, router bugs with 500', async () => {
    const post = (body: string | Buffer) =>
      request(`${emu.url.http}/v1.0/copilot/retrieval`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${delegated.access_token}`, 'Content-Type': 'application/json' },
        body,
      });
    expectGraphError(await post('{"queryString": '), 400, 'BadRequest');
    expectGraphError(await post(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20)), 413, 'RequestEntityTooLarge');
    expectGraphError(await graphGet(emu, '/v1.0/boom', delegated.access_token), 500, 'generalException');
    expectGraphError(await graphGet(emu, '/v1.0/bad%ZZ', delegated.access_token), 400, 'BadRequest');
  });

  it("passes the router's status and headers through (429 + Retry-After)", async () => {
    const res = await graphGet(emu, '/v1.0/throttled', delegated.access_token);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.headers['request-id']).toMatch(GUID);
  });

  it('keeps connections alive and serves many concurrent requests on both schemes', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const sockets = new Set<unknown>();
      for (let i = 0; i < 3; i++) {
        const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
          const req = http.get(`${emu.url.http}/_emulator/health`, { agent }, resolve);
          req.on('socket', (s) => sockets.add(s));
          req.on('error', reject);
        });
        res.resume();
        await new Promise((r) => res.on('end', r));
        expect(res.statusCode).toBe(200);
      }
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
    const many = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        i % 2 === 0
          ? request(`${emu.url.https}/v1.0/me`, { ca, headers: { Authorization: `Bearer ${delegated.access_token}` } })
          : graphGet(emu, '/v1.0/me', delegated.access_token),
      ),
    );
    expect(many.map((r) => r.status)).toEqual(Array(24).fill(200));
  });

  it('rotating the signing key makes every earlier token fail, and new tokens work', async () => {
    const { authority } = emu.descriptor;
    const jwksBefore = (await request(`${authority}/discovery/v2.0/keys`, { ca })).json();
    const oldToken = (await delegatedTokens(emu, ca, 'User.Read')).access_token;
    expect((await graphGet(emu, '/v1.0/me', oldToken)).status).toBe(200);
    const rotated = await controlRequest(emu.descriptor, `/keys/rotate`, { method: 'POST' });
    expect(rotated.status).toBe(200);
    expect(rotated.json().previousKid).toBe(jwksBefore.keys[0].kid);
    const jwksAfter = (await request(`${authority}/discovery/v2.0/keys`, { ca })).json();
    expect(jwksAfter.keys.map((k: { kid: string }) => k.kid)).toEqual([rotated.json().kid]);
    expectGraphError(await graphGet(emu, '/v1.0/me', oldToken), 401, 'InvalidAuthenticationToken');
    const newToken = (await delegatedTokens(emu, ca, 'User.Read')).access_token;
    expect((await graphGet(emu, '/v1.0/me', newToken)).status).toBe(200);
    delegated = await delegatedTokens(emu, ca, `${GRAPH}/Files.Read.All Sites.Read.All openid offline_access`);
  });

  it('counts Graph requests by route and status, and resets the counters', async () => {
    const stats = emu.stats();
    expect(stats.graphRequests.byRoute['GET /echo']?.['200']).toBeGreaterThanOrEqual(25);
    expect(stats.graphRequests.byRoute['unknown']?.['401']).toBeGreaterThanOrEqual(5);
    expect(stats.graphRequests.byRoute['GET /throttled']?.['429']).toBe(1);
    expect(stats.graphRequests.total).toBe(Object.values(stats.graphRequests.byStatus).reduce((a, b) => a + b, 0));
    expect(stats.tokenRequests.byGrant).toMatchObject({ device_code: 4, client_credentials: 1 });
    expect(stats.tokenRequests.byUser[ADELE]).toBe(4);

    const viaHttp = (await controlRequest(emu.descriptor, `/stats`)).json();
    expect(viaHttp.graphRequests.total).toBe(stats.graphRequests.total);
    const reset = await controlRequest(emu.descriptor, `/stats/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(emu.stats().graphRequests.total).toBe(0);
    expect(emu.stats().tokenRequests.total).toBe(0);
  });
});

describe('emulator with the generated tenant and the real Graph routes', () => {
  it('starts quickly and answers /me for the demo user', async () => {
    const started = performance.now();
    const emu = await startEmulator();
    const startupMs = performance.now() - started;
    try {
      const ca = readFileSync(emu.descriptor.caCertPath, 'utf8');
      const { authority, apps, demoUser } = emu.descriptor;
      const start = (await postForm(`${authority}/oauth2/v2.0/devicecode`, { client_id: apps.publicClient.clientId, scope: 'User.Read openid' }, ca)).json();
      await controlRequest(emu.descriptor, `/devicecode/approve`, { method: 'POST', body: JSON.stringify({ userCode: start.user_code, upn: demoUser }) });
      const token = (
        await postForm(`${authority}/oauth2/v2.0/token`, { grant_type: 'device_code', client_id: apps.publicClient.clientId, device_code: start.device_code }, ca)
      ).json().access_token as string;
      const me = await graphGet(emu, '/v1.0/me', token);
      expect(me.status).toBe(200);
      expect(me.json().userPrincipalName).toBe(demoUser);
      const demo = emu.tenant.users.find((u) => u.upn === demoUser)!;
      const exportPath = `/v1.0/copilot/users/${demo.id}/interactionHistory/getAllEnterpriseInteractions?$top=5`;
      const app = await appToken(emu, ca);
      const exported = await graphGet(emu, exportPath, app);
      expect(exported.status).toBe(200);
      expect(exported.json().value.length).toBeGreaterThan(0);
      // Export is app-only: the same call with the user's token is refused by the routes, not the gateway.
      expect((await graphGet(emu, exportPath, token)).status).toBe(403);
      const routes = Object.keys(emu.stats().graphRequests.byRoute);
      expect(routes).not.toContain('unknown');
      expect(routes).toContain('GET /me');
      expect(startupMs).toBeLessThan(5_000); // generous here; the 1 s target is measured on a quiet machine
    } finally {
      await emu.close();
    }
  });
});
