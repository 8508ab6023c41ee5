import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AppError } from '../errors.js';

export interface CertificateCredential {
  privateKey: string;
  thumbprintSha256: string;
  /** The certificate (PEM); MSAL sends it as the assertion's x5c so the identity provider can match it. */
  x5c: string;
}

/** Reads a PEM holding a private key and its certificate (the usual export of an app credential). */
export async function readCertificateCredential(path: string): Promise<CertificateCredential> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AppError('ConfigInvalid', `cannot read the export app certificate ${path}`, { cause, nextStep: 'Fix --export-certificate / M365_COPILOT_MCP_EXPORT_CERTIFICATE.' });
  }
  const keyBlock = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(pem)?.[0];
  const certBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!keyBlock || !certBlock) {
    throw new AppError('ConfigInvalid', `${path} must contain both a PRIVATE KEY and a CERTIFICATE block (PEM)`, {
      nextStep: 'Concatenate the private key and the certificate into one PEM file (e.g. cat key.pem cert.pem > app.pem).',
    });
  }
  try {
    createPrivateKey(keyBlock);
    const cert = new X509Certificate(certBlock);
    return { privateKey: keyBlock, thumbprintSha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(), x5c: certBlock };
  } catch (cause) {
    throw new AppError('ConfigInvalid', `${path} holds a key or certificate that cannot be parsed (encrypted keys are not supported)`, {
      cause,
      nextStep: 'Export an unencrypted PEM private key with its certificate.',
    });
  }
}
