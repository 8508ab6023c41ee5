import { createHash, X509Certificate } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { baseCertificate, rsa2048, signCertificate } from '../tls.js';

/**
 * A certificate credential registered on an app, as Entra keeps it: the public certificate only.
 * The emulator also holds the private key, to hand it to the client it plays the admin for.
 */
export interface ClientCertificate {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  /** DER bytes of the certificate, which both thumbprints hash. */
  der: Buffer;
  /** SHA-1 of the DER, hex upper-case, as the Entra portal shows it (MSAL `thumbprint`). */
  thumbprintSha1: string;
  /** SHA-256 of the DER, hex upper-case (MSAL `thumbprintSha256`). */
  thumbprintSha256: string;
}

export async function createClientCertificate(subjectCn: string, now: number): Promise<ClientCertificate> {
  const keys = await rsa2048();
  const cert = baseCertificate(keys.publicKey, subjectCn, 365, now);
  // Self-signed, as `New-SelfSignedCertificate` makes them for app registrations.
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(cert, keys.privateKey);
  const certPem = forge.pki.certificateToPem(cert);
  const der = new X509Certificate(certPem).raw;
  return {
    certPem,
    keyPem: keys.privateKey,
    der,
    thumbprintSha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  };
}

/**
 * Writes key then certificate to one PEM file, readable by the owner only: MSAL takes the same
 * file for `privateKey` (the first PEM block) and for `x5c` (the CERTIFICATE blocks).
 */
export async function writeClientCertificate(dir: string, fileName: string, cert: ClientCertificate): Promise<string> {
  const path = join(dir, fileName);
  await writeFile(path, `${cert.keyPem.trimEnd()}\n${cert.certPem.trimEnd()}\n`, { mode: 0o600 });
  // The mode given to writeFile only applies to a new file and passes through the umask.
  await chmod(path, 0o600);
  return path;
}
