import { createHmac, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';

/**
 * The one peer with HTTP auth answered 200 to the bearer `not.a.jwt`. Here every hostile bearer is
 * refused with the right challenge, and the emulator proves no Graph or on-behalf-of request followed.
 */
const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

let emulator: EmulatorProcess;
let server: HttpServerProcess;
let good: string;

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'hostile', version: '1' } },
});

async function post(token: string | undefined, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: initialize,
  });
}

async function emulatorJwks(): Promise<{ keys: Record<string, unknown>[] }> {
  const ca = readFileSync(emulator.descriptor.caCertPath, 'utf8');
  return new Promise((resolve, reject) => {
    httpsGet(`${emulator.descriptor.authority}/discovery/v2.0/keys`, { ca }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(JSON.parse(text) as { keys: Record<string, unknown>[] }));
    }).on('error', reject);
  });
}

function tamperPayload(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
  change(claims);
  return `${h}.${b64url(JSON.stringify(claims))}.${s}`;
}

beforeAll(async () => {
  emulator = await useSharedEmulator();
  server = await startHttpServerProcess(['--emulator', emulator.file]);
  good = await mintToken(emulator, { user: emulator.descriptor.demoUser });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
});

describe('bearer gate', () => {
  it('serves RFC 9728 metadata naming the authority and the scope', async () => {
    const res = await fetch(`${server.origin}/.well-known/oauth-protected-resource/mcp`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
    expect(doc.resource).toBe(server.url);
    expect(doc.authorization_servers).toEqual([`${emulator.descriptor.authority}/v2.0`]);
    // The documented configuration: the resource is an identifier URI of the server app, the scope lives under it.
    expect(doc.scopes_supported).toEqual([`${server.url}/access_as_user`]);
    expect(doc.resource.endsWith('/')).toBe(false);
  });

  it('names the full scope in the 401 challenge, the same string as scopes_supported', async () => {
    const res = await post(undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain(`scope="${server.url}/access_as_user"`);
  });

  it('accepts a token whose audience is an identifier URI (v1.0 tokens carry the one the client asked for)', async () => {
    for (const audience of [emulator.descriptor.apps.mcpServer.appIdUri, server.url]) {
      const token = await mintToken(emulator, { user: emulator.descriptor.demoUser, audience });
      expect((await post(token)).status, audience).toBe(200);
    }
    const other = await mintToken(emulator, { user: emulator.descriptor.demoUser, audience: `${server.url}/` });
    expect((await post(other)).status, 'a trailing slash is another audience').toBe(401);
  });

  it('accepts a valid token (the control case)', async () => {
    const res = await post(good);
    expect(res.status).toBe(200);
  });

  it('refuses every hostile bearer with a challenge, and nothing reaches Graph or on-behalf-of', async () => {
    const [header, payload] = good.split('.');
    const headerJson = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { kid: string };
    // HS256 "signed" with the server's own RSA public key (from the JWKS): the algorithm-confusion attack.
    const jwk = (await emulatorJwks()).keys.find((k) => k['kid'] === headerJson.kid)!;
    const hmacKey = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const hsHeader = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: headerJson.kid }));
    const hs256 = `${hsHeader}.${payload}.${createHmac('sha256', hmacKey).update(`${hsHeader}.${payload}`).digest('base64url')}`;

    const other = emulator.descriptor.otherTenant;
    const cases: Array<{ name: string; token: string | undefined; status: number; error: string }> = [
      { name: 'no Authorization header', token: undefined, status: 401, error: 'invalid_token' },
      { name: 'garbage', token: 'not.a.jwt', status: 401, error: 'invalid_token' },
      { name: 'alg none', token: `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`, status: 401, error: 'invalid_token' },
      { name: 'HS256 with the public key', token: hs256, status: 401, error: 'invalid_token' },
      { name: 'bad signature (claims changed)', token: tamperPayload(good, (c) => (c['oid'] = '00000000-0000-0000-0000-000000000001')), status: 401, error: 'invalid_token' },
      { name: 'wrong audience', token: await mintToken(emulator, { user: emulator.descriptor.demoUser, audience: 'api://someone-else' }), status: 401, error: 'invalid_token' },
      { name: 'other tenant', token: await mintToken(emulator, { user: other.users[0]!.upn, tenant: other.tenantId }), status: 401, error: 'invalid_token' },
      {
        name: 'wrong issuer',
        token: await mintToken(emulator, { user: emulator.descriptor.demoUser, issuer: `https://login.evil.example/${emulator.descriptor.tenantId}/v2.0` }),
        status: 401,
        error: 'invalid_token',
      },
      { name: 'not valid yet (nbf in 10 minutes)', token: await mintToken(emulator, { user: emulator.descriptor.demoUser, notBeforeSec: 600 }), status: 401, error: 'invalid_token' },
      { name: 'expired', token: await mintToken(emulator, { user: emulator.descriptor.demoUser, lifetimeSec: -3600 }), status: 401, error: 'invalid_token' },
      { name: 'missing scope', token: await mintToken(emulator, { user: emulator.descriptor.demoUser, scope: 'something.else' }), status: 403, error: 'insufficient_scope' },
      {
        name: 'a Graph token instead of ours',
        token: await mintToken(emulator, { user: emulator.descriptor.demoUser, audience: emulator.descriptor.graphResource, scope: 'User.Read Files.Read.All' }),
        status: 401,
        error: 'invalid_token',
      },
    ];
    await emulator.resetStats();
    for (const c of cases) {
      const res = await post(c.token);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect({ name: c.name, status: res.status }).toEqual({ name: c.name, status: c.status });
      expect(challenge, c.name).toContain(`error="${c.error}"`);
      expect(challenge, c.name).toContain(`resource_metadata="${server.origin}/.well-known/oauth-protected-resource/mcp"`);
      if (c.status === 403) expect(challenge, c.name).toContain(`scope="${server.url}/access_as_user"`);
      // The refusal never echoes the token.
      const body = await res.text();
      if (c.token && c.token.length > 20) expect(body).not.toContain(c.token);
    }
    const stats = await emulator.stats();
    expect(stats.graphRequests.total).toBe(0);
    expect(stats.tokenRequests.byGrant['on_behalf_of'] ?? 0).toBe(0);
    expect(server.stderr()).not.toContain(good.split('.')[2]!);
  });
});

describe('HTTP guards', () => {
  it('refuses a foreign Host and Origin (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${good}`, ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(initialize);
      });
    expect(await status({ host: 'evil.example.com' })).toBe(403);
    expect(await status({ origin: 'https://evil.example.com' })).toBe(403);
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${good}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
  });

  it('reports liveness and readiness', async () => {
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { jwks: true } });
  });
});
