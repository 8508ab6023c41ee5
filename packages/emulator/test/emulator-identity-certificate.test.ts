import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/startEmulator.js';
import { decodeJwt, echoRouter, emulatorNetwork, fixtureTenant, postForm } from './helpers/emulator-identity-helpers.js';

const GRAPH = 'https://graph.microsoft.com';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('client credentials with a certificate (client assertion)', () => {
  let emu: RunningEmulator;
  let ca: string;
  let pem: string;
  let cert: X509Certificate;

  beforeAll(async () => {
    emu = await startEmulator({ tenant: fixtureTenant(), router: echoRouter });
    ca = readFileSync(emu.descriptor.caCertPath, 'utf8');
    pem = readFileSync(emu.descriptor.apps.exportApp.certificatePath!, 'utf8');
    cert = new X509Certificate(pem);
  });

  afterAll(async () => {
    await emu?.close();
  });

  function cca(clientCertificate: { thumbprint?: string; thumbprintSha256?: string; privateKey: string; x5c?: string }) {
    const { descriptor } = emu;
    return new ConfidentialClientApplication({
      auth: {
        clientId: descriptor.apps.exportApp.clientId,
        authority: descriptor.authority,
        knownAuthorities: [new URL(descriptor.authorityHost).host],
        clientCertificate,
      },
      system: { networkClient: emulatorNetwork(ca) },
    });
  }

  /** A hand-made assertion signed with the registered key unless told otherwise. */
  async function assertion(claims: JWTPayload, header: Record<string, unknown> = {}, key = createPrivateKey(pem)): Promise<string> {
    const { exportApp } = emu.descriptor.apps;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: exportApp.clientId,
      sub: exportApp.clientId,
      aud: `${emu.descriptor.authority}/oauth2/v2.0/token`,
      jti: randomUUID(),
      nbf: now,
      exp: now + 600,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', x5t: createHash('sha1').update(cert.raw).digest('base64url'), ...header })
      .sign(key);
  }

  function present(clientAssertion: string, extra: Record<string, string> = {}) {
    return postForm(
      `${emu.descriptor.authority}/oauth2/v2.0/token`,
      {
        grant_type: 'client_credentials',
        client_id: emu.descriptor.apps.exportApp.clientId,
        scope: `${GRAPH}/.default`,
        client_assertion_type: JWT_BEARER,
        client_assertion: clientAssertion,
        ...extra,
      },
      ca,
    );
  }

  it('describes a registered certificate: one 0600 PEM file with the key and the certificate, and its thumbprints', () => {
    const { exportApp } = emu.descriptor.apps;
    expect(statSync(exportApp.certificatePath!).mode & 0o777).toBe(0o600);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----/);
    expect(exportApp.certificateThumbprint).toBe(createHash('sha1').update(cert.raw).digest('hex').toUpperCase());
    expect(exportApp.certificateThumbprint).toBe(cert.fingerprint.replace(/:/g, ''));
    expect(exportApp.certificateThumbprintSha256).toBe(cert.fingerprint256.replace(/:/g, ''));
    expect(cert.subject).toContain('emulator');
    expect(cert.checkPrivateKey(createPrivateKey(pem))).toBe(true);
  });

  it('issues app tokens to MSAL with a SHA-256 thumbprint (PS256 + x5t#S256 + x5c) and a SHA-1 one (RS256 + x5t)', async () => {
    const { exportApp } = emu.descriptor.apps;
    const sha256 = await cca({ thumbprintSha256: exportApp.certificateThumbprintSha256!, privateKey: pem, x5c: pem }).acquireTokenByClientCredential({
      scopes: [`${GRAPH}/.default`],
    });
    expect(decodeJwt(sha256!.accessToken)).toMatchObject({ roles: ['AiEnterpriseInteraction.Read.All'], idtyp: 'app', appid: exportApp.clientId, appidacr: '2' });
    const sha1 = await cca({ thumbprint: exportApp.certificateThumbprint!, privateKey: pem }).acquireTokenByClientCredential({ scopes: [`${GRAPH}/.default`] });
    expect(decodeJwt(sha1!.accessToken).roles).toEqual(['AiEnterpriseInteraction.Read.All']);

    const stats = emu.stats().tokenRequests;
    expect(stats.byGrant['client_credentials']).toBeGreaterThanOrEqual(2);
    expect(stats.byClientAuth['assertion']).toBeGreaterThanOrEqual(2);
  });

  it('rejects a certificate signed with another key, or another certificate, as invalid_client', async () => {
    const { exportApp } = emu.descriptor.apps;
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(
      cca({ thumbprintSha256: exportApp.certificateThumbprintSha256!, privateKey: otherKey }).acquireTokenByClientCredential({ scopes: [`${GRAPH}/.default`] }),
    ).rejects.toMatchObject({ errorCode: 'invalid_client' });
    await expect(
      cca({ thumbprint: 'AB'.repeat(20), privateKey: pem }).acquireTokenByClientCredential({ scopes: [`${GRAPH}/.default`] }),
    ).rejects.toMatchObject({ errorCode: 'invalid_client' });
  });

  it('says which check of a hand-made assertion failed, without echoing it', async () => {
    const { exportApp } = emu.descriptor.apps;
    const now = Math.floor(Date.now() / 1000);
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const cases: [string, Promise<string>, number, RegExp][] = [
      ['wrong key', assertion({}, {}, otherKey), 700027, /signature/],
      ['expired', assertion({ nbf: now - 1200, exp: now - 60 }), 700024, /expired/],
      ['not yet valid', assertion({ nbf: now + 3600, exp: now + 4000 }), 700024, /not valid yet/],
      ['wrong audience', assertion({ aud: 'https://login.microsoftonline.com/common/oauth2/v2.0/token' }), 700023, /audience/],
      ['other tenant in audience', assertion({ aud: `${emu.descriptor.authorityHost}/other.example/oauth2/v2.0/token` }), 700023, /audience/],
      ['wrong issuer', assertion({ iss: 'someone-else' }), 700021, /iss/],
      ['wrong subject', assertion({ sub: 'someone-else' }), 700021, /sub/],
      ['no jti', assertion({ jti: undefined }), 50027, /jti/],
      ['no certificate named', assertion({}, { x5t: undefined }), 700027, /names no certificate/],
      ['x5c of another certificate', assertion({}, { x5c: ['MIIB'] }), 700027, /not registered/],
      ['unknown x5t#S256', assertion({}, { x5t: undefined, 'x5t#S256': Buffer.alloc(32).toString('base64url') }), 700027, /not registered/],
      ['not a JWT', Promise.resolve('not-a-jwt'), 50027, /well-formed/],
    ];
    for (const [label, made, code, reason] of cases) {
      const jwt = await made;
      const res = await present(jwt);
      expect(res.status, label).toBe(401);
      const body = res.json();
      expect(body.error, label).toBe('invalid_client');
      expect(body.error_codes, label).toEqual([code]);
      expect(body.error_description, label).toMatch(reason);
      expect(res.text, label).not.toContain(jwt.split('.').at(-1));
    }

    // Accepted: the audience with a query, an x5c whose first certificate is the registered one, the v1 token path.
    const der = cert.raw.toString('base64');
    for (const ok of [
      await assertion({ aud: `${emu.descriptor.authority}/oauth2/v2.0/token?api-version=1` }),
      await assertion({}, { x5t: undefined, x5c: [der] }),
      await assertion({ aud: `${emu.descriptor.authorityHost}/${emu.descriptor.tenantDomain}/oauth2/token` }, { alg: 'PS256' }),
    ]) {
      const res = await present(ok);
      expect(res.status, res.text).toBe(200);
      expect(decodeJwt(res.json().access_token).appid).toBe(exportApp.clientId);
    }

    const wrongType = await present(await assertion({}), { client_assertion_type: 'urn:other' });
    expect(wrongType.status).toBe(401);
    expect(wrongType.json().error_description).toContain('client_assertion_type');
    const both = await present(await assertion({}), { client_secret: exportApp.clientSecret });
    expect(both.json().error_description).toContain('not both');
  });
});
