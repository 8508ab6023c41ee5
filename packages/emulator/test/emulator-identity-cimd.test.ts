import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/startEmulator.js';
import { createEmulatorTls, type EmulatorTls } from '../src/tls.js';
import { controlPost, decodeJwt, echoRouter, fixtureTenant, postForm, request } from './helpers/emulator-identity-helpers.js';

/**
 * Client ID Metadata Documents: with the switch on, a client_id that is the https URL of a document
 * (served here by the test, on loopback, with a CA of its own) signs in; its redirect URIs match
 * exactly; without the switch, or from outside loopback, such a client is unknown.
 */
const ADELE = 'adele.vance@contoso-emu.example';
const REDIRECT = 'http://127.0.0.1:45123/callback';

let allowing: RunningEmulator;
let refusing: RunningEmulator;
let ca: string;
let refusingCa: string;
let docsTls: EmulatorTls;
let docs: Server;
let docsOrigin: string;
const documents = new Map<string, unknown>();

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeQuery(clientId: string, challenge: string, redirect = REDIRECT, emu = allowing): string {
  const scope = `${emu.descriptor.apps.mcpServer.appIdUri}/access_as_user`;
  return new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: redirect, scope, state: 's', code_challenge: challenge, code_challenge_method: 'S256' }).toString();
}

beforeAll(async () => {
  docsTls = await createEmulatorTls();
  docs = createServer({ cert: docsTls.certPem, key: docsTls.keyPem }, (req, res) => {
    const doc = documents.get(req.url ?? '');
    res.writeHead(doc === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(doc === undefined ? '{}' : JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
  docsOrigin = `https://127.0.0.1:${(docs.address() as { port: number }).port}`;
  [allowing, refusing] = await Promise.all([
    startEmulator({ tenant: fixtureTenant(), router: echoRouter, autoApproveUpn: ADELE, clientMetadataDocuments: { caPem: docsTls.caCertPem } }),
    startEmulator({ tenant: fixtureTenant(), router: echoRouter, autoApproveUpn: ADELE }),
  ]);
  ca = readFileSync(allowing.descriptor.caCertPath, 'utf8');
  refusingCa = readFileSync(refusing.descriptor.caCertPath, 'utf8');
});

afterAll(async () => {
  await Promise.all([allowing?.close(), refusing?.close()]);
  await new Promise<void>((resolve) => docs?.close(() => resolve()));
  await docsTls?.cleanup();
});

describe('client ID metadata documents', () => {
  it('signs in a client whose id is its document URL, once the administrator authorized it', async () => {
    const clientId = `${docsOrigin}/clients/tool.json`;
    documents.set('/clients/tool.json', { client_id: clientId, client_name: 'A CIMD client', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'] });
    const { verifier, challenge } = pkcePair();
    // Not yet added to the tenant: consent is required (Entra: an admin may have to add the client).
    const before = await request(`${allowing.descriptor.authority}/oauth2/v2.0/authorize?${authorizeQuery(clientId, challenge)}`, { ca });
    expect(before.status).toBe(302);
    expect(new URL(String(before.headers['location'])).searchParams.get('error_description')).toMatch(/^AADSTS65001/);

    const server = allowing.descriptor.apps.mcpServer;
    await controlPost(allowing.descriptor, '/apps/mcp-server', { preAuthorizedClientIds: [allowing.descriptor.apps.publicClient.clientId, clientId] });
    const res = await request(`${allowing.descriptor.authority}/oauth2/v2.0/authorize?${authorizeQuery(clientId, challenge)}`, { ca });
    expect(res.status, res.text).toBe(302);
    const code = new URL(String(res.headers['location'])).searchParams.get('code');
    expect(code).toBeTruthy();
    const token = await postForm(`${allowing.descriptor.authority}/oauth2/v2.0/token`, { grant_type: 'authorization_code', client_id: clientId, code: code!, redirect_uri: REDIRECT, code_verifier: verifier }, ca);
    expect(token.status, token.text).toBe(200);
    expect(decodeJwt(token.json().access_token)).toMatchObject({ aud: server.clientId, azp: clientId, azpacr: '0', scp: 'access_as_user' });
  });

  it('matches redirect URIs exactly, and refuses a document that does not name itself or holds a secret method', async () => {
    const clientId = `${docsOrigin}/clients/exact.json`;
    documents.set('/clients/exact.json', { client_id: clientId, redirect_uris: [REDIRECT] });
    const { challenge } = pkcePair();
    const otherPort = await request(`${allowing.descriptor.authority}/oauth2/v2.0/authorize?${authorizeQuery(clientId, challenge, 'http://127.0.0.1:45124/callback')}`, { ca });
    expect(otherPort.status).toBe(400);
    expect(otherPort.text).toContain('exact match');

    documents.set('/clients/liar.json', { client_id: `${docsOrigin}/clients/other.json`, redirect_uris: [REDIRECT] });
    const liar = await request(`${allowing.descriptor.authority}/oauth2/v2.0/authorize?${authorizeQuery(`${docsOrigin}/clients/liar.json`, challenge)}`, { ca });
    expect(liar.status).toBe(400);
    expect(liar.text).toContain('not exactly the URL');

    documents.set('/clients/secret.json', { client_id: `${docsOrigin}/clients/secret.json`, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_post' });
    const secret = await request(`${allowing.descriptor.authority}/oauth2/v2.0/authorize?${authorizeQuery(`${docsOrigin}/clients/secret.json`, challenge)}`, { ca });
    expect(secret.status).toBe(400);
    expect(secret.text).toContain('only public clients');
  });

  it('never fetches outside loopback, and without the switch such a client is unknown (AADSTS700016)', async () => {
    const { challenge } = pkcePair();
    const outside = await request(`${allowing.descriptor.authority}/oauth2/v2.0/authorize?${authorizeQuery('https://client.example.com/cimd.json', challenge)}`, { ca });
    expect(outside.status).toBe(400);
    expect(outside.text).toContain('only from this machine');

    const clientId = `${docsOrigin}/clients/tool.json`;
    const off = await request(`${refusing.descriptor.authority}/oauth2/v2.0/authorize?${authorizeQuery(clientId, challenge, REDIRECT, refusing)}`, { ca: refusingCa });
    expect(off.status).toBe(400);
    expect(off.text).toContain('700016');
  });
});
