import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { expect, it } from 'vitest';
import { createEmulatorTls, EMULATOR_CA_CN } from '../src/tls.js';

it('creates a CA and a loopback server certificate it signs, and cleans up after itself', async () => {
  const tls = await createEmulatorTls();
  try {
    const ca = new X509Certificate(tls.caCertPem);
    const leaf = new X509Certificate(tls.certPem);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain(`CN=${EMULATOR_CA_CN}`);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.issuer).toBe(ca.subject);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkIP('::1')).toBeTruthy();
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkHost('example.com')).toBeUndefined();
    expect(leaf.checkPrivateKey(createPrivateKey(tls.keyPem))).toBe(true);
    expect(statSync(tls.caCertPath).mode & 0o777).toBe(0o644);
  } finally {
    await tls.cleanup();
  }
  expect(existsSync(tls.caCertPath)).toBe(false);
  await tls.cleanup(); // idempotent
});
