import { generateKeyPair, randomBytes, sign } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

/**
 * The emulator's own certificate authority and a loopback server certificate it signs.
 * Clients trust exactly this CA (by file path) instead of switching TLS verification off.
 */
export interface EmulatorTls {
  caCertPem: string;
  certPem: string;
  keyPem: string;
  /** The CA certificate written to a fresh temp directory (0644), for clients in other processes. */
  caCertPath: string;
  /** That temp directory: other per-run files (e.g. the export app's certificate) belong here too. */
  dir: string;
  /** Removes the temp directory holding the CA file. Safe to call twice. */
  cleanup(): Promise<void>;
}

const generateRsa = promisify(generateKeyPair);
const DAY_MS = 86_400_000;

export interface PemKeyPair {
  publicKey: string;
  privateKey: string;
}

export function rsa2048(): Promise<PemKeyPair> {
  return generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

// A positive serial: the high bit of the first byte must be clear or it reads as negative DER.
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

export function baseCertificate(publicKeyPem: string, subjectCn: string, validDays: number, now: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = serialNumber();
  // Backdated a day so a client whose clock runs slightly behind still accepts it.
  cert.validity.notBefore = new Date(now - DAY_MS);
  cert.validity.notAfter = new Date(now + validDays * DAY_MS);
  cert.setSubject([
    { name: 'commonName', value: subjectCn },
    { name: 'organizationName', value: 'm365-copilot-mcp (emulator, not Microsoft)' },
  ]);
  return cert;
}

// Present in node-forge's x509 module (cert.sign uses it) but missing from @types/node-forge.
interface ForgeTbs {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
}

/**
 * Signs with node:crypto rather than forge's pure-JS RSA, which takes ~60 ms of main-thread time
 * per certificate; forge still builds the DER structures.
 */
export function signCertificate(cert: forge.pki.Certificate, issuerPrivateKeyPem: string): void {
  const sha256WithRsa = forge.pki.oids['sha256WithRSAEncryption'] as string;
  cert.signatureOid = sha256WithRsa;
  cert.siginfo.algorithmOid = sha256WithRsa;
  const tbs = (forge.pki as unknown as ForgeTbs).getTBSCertificate(cert);
  cert.tbsCertificate = tbs;
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.signature = sign('sha256', der, issuerPrivateKeyPem).toString('binary');
}

export const EMULATOR_CA_CN = 'm365-copilot-mcp emulator CA';

export async function createEmulatorTls(now: number = Date.now()): Promise<EmulatorTls> {
  const [caKeys, leafKeys, dir] = await Promise.all([
    rsa2048(),
    rsa2048(),
    mkdtemp(join(tmpdir(), 'm365-copilot-emulator-')),
  ]);
  let removed = false;
  const cleanup = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const ca = baseCertificate(caKeys.publicKey, EMULATOR_CA_CN, 365, now);
    ca.setIssuer(ca.subject.attributes);
    ca.setExtensions([
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    signCertificate(ca, caKeys.privateKey);

    const leaf = baseCertificate(leafKeys.publicKey, 'm365-copilot-mcp emulator (127.0.0.1)', 365, now);
    leaf.setIssuer(ca.subject.attributes);
    leaf.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          { type: 2, value: 'localhost' },
        ],
      },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
    ]);
    signCertificate(leaf, caKeys.privateKey);

    const caCertPem = forge.pki.certificateToPem(ca);
    const caCertPath = join(dir, 'emulator-ca.pem');
    await writeFile(caCertPath, caCertPem, { mode: 0o644 });
    // The umask may have narrowed the mode; other local processes (e.g. a spawned client) must read it.
    await chmod(caCertPath, 0o644);

    return {
      caCertPem,
      certPem: forge.pki.certificateToPem(leaf),
      keyPem: leafKeys.privateKey,
      caCertPath,
      dir,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
