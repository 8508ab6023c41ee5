import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { readCertificateCredential } from '../../src/config/certificate.js';

function makePem() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'export-app' }]);
  cert.setIssuer([{ name: 'commonName', value: 'export-app' }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { privateKey, certPem, der };
}

describe('export app certificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cert-'));

  it('reads the key, the SHA-256 thumbprint and x5c from one PEM', async () => {
    const { privateKey, certPem, der } = makePem();
    const path = join(dir, 'app.pem');
    writeFileSync(path, `${privateKey}\n${certPem}`);
    const c = await readCertificateCredential(path);
    expect(c.thumbprintSha256).toBe(createHash('sha256').update(der).digest('hex'));
    expect(c.x5c).toBe(certPem.trim());
    expect(c.privateKey).toContain('PRIVATE KEY');
  });

  it('explains what is missing', async () => {
    const { certPem } = makePem();
    const path = join(dir, 'cert-only.pem');
    writeFileSync(path, certPem);
    await expect(readCertificateCredential(path)).rejects.toMatchObject({ code: 'ConfigInvalid', nextStep: expect.stringContaining('Concatenate') });
    await expect(readCertificateCredential(join(dir, 'missing.pem'))).rejects.toMatchObject({ code: 'ConfigInvalid' });
  });
});
