import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, type ProtectedHeaderParameters } from 'jose';
import type { ClientCertificate } from './clientCertificate.js';
import { OAuthError } from './oauthError.js';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** MSAL signs with PS256 for a SHA-256 thumbprint and RS256 for a SHA-1 one. */
const ALGORITHMS = ['RS256', 'PS256'];
// Entra tolerates this much clock difference between the client and itself.
const SKEW_SEC = 300;

export interface AssertionCheck {
  /** The app being authenticated: iss and sub must name it. */
  clientId: string;
  /** Certificates registered on that app. */
  certificates: readonly Pick<ClientCertificate, 'certPem' | 'der'>[];
  /** True when `aud` (query already stripped) is this tenant's token endpoint. */
  isTokenEndpoint(aud: string): boolean;
  nowMs: number;
}

// Descriptions say which check failed and what was expected; they never quote the assertion.
function rejected(aadsts: number, description: string): OAuthError {
  return new OAuthError(401, 'invalid_client', aadsts, description);
}

function digest(algorithm: 'sha1' | 'sha256', der: Buffer): Buffer {
  return createHash(algorithm).update(der).digest();
}

/** Decodes a thumbprint header; Node's base64url decoder also takes the standard alphabet. */
function thumbprintBytes(value: unknown): Buffer | undefined {
  return typeof value === 'string' && value.length > 0 ? Buffer.from(value, 'base64url') : undefined;
}

/**
 * The certificate the header points at. Every identifier present (x5t#S256, x5t, x5c) must name
 * the same registered certificate, so a matching thumbprint cannot smuggle in a foreign chain.
 */
function registeredCertificate(header: ProtectedHeaderParameters, check: AssertionCheck): Pick<ClientCertificate, 'certPem' | 'der'> {
  const sha256 = thumbprintBytes(header['x5t#S256']);
  const sha1 = thumbprintBytes(header.x5t);
  const chain = header.x5c;
  if (sha256 === undefined && sha1 === undefined && chain === undefined) {
    throw rejected(700027, "Client assertion failed signature validation: its header names no certificate (x5t#S256, x5t or x5c).");
  }
  if (check.certificates.length === 0) {
    throw rejected(700027, `Client assertion failed signature validation: application '${check.clientId}' has no certificate registered.`);
  }
  let first: Buffer | undefined;
  if (chain !== undefined) {
    if (!Array.isArray(chain) || typeof chain[0] !== 'string') {
      throw rejected(50027, 'The client assertion header x5c must be an array of base64 DER certificates.');
    }
    first = Buffer.from(chain[0], 'base64');
  }
  const match = check.certificates.find(
    (c) =>
      (sha256 === undefined || sha256.equals(digest('sha256', c.der))) &&
      (sha1 === undefined || sha1.equals(digest('sha1', c.der))) &&
      (first === undefined || first.equals(c.der)),
  );
  if (match === undefined) {
    const named = [sha256 && 'x5t#S256', sha1 && 'x5t', first && 'x5c'].filter(Boolean).join(', ');
    throw rejected(700027, `Client assertion failed signature validation: the certificate named by ${named} is not registered on application '${check.clientId}'.`);
  }
  return match;
}

function payloadOf(bytes: Uint8Array): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Reported below like any other malformed payload.
  }
  throw rejected(50027, 'The client assertion payload is not a JSON object.');
}

function checkClaims(claims: Record<string, unknown>, check: AssertionCheck): void {
  const { iss, sub, aud, exp, nbf, iat, jti } = claims;
  const sameApp = (v: unknown): boolean => typeof v === 'string' && v.toLowerCase() === check.clientId.toLowerCase();
  if (!sameApp(iss)) throw rejected(700021, `Client assertion issuer (iss) must be the client id '${check.clientId}'.`);
  if (!sameApp(sub)) throw rejected(700021, `Client assertion subject (sub) must be the client id '${check.clientId}'.`);

  const audiences = (Array.isArray(aud) ? aud : [aud]).filter((a): a is string => typeof a === 'string');
  if (!audiences.some((a) => check.isTokenEndpoint(a.split('?')[0] ?? ''))) {
    throw rejected(700023, "Client assertion audience (aud) must be this tenant's token endpoint URL.");
  }

  const now = Math.floor(check.nowMs / 1000);
  if (typeof exp !== 'number') throw rejected(50027, "The client assertion has no numeric 'exp' claim.");
  if (exp <= now) throw rejected(700024, 'Client assertion is not within its valid time range: it has expired (exp).');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + SKEW_SEC)) {
    throw rejected(700024, 'Client assertion is not within its valid time range: it is not valid yet (nbf).');
  }
  if (iat !== undefined && (typeof iat !== 'number' || iat > now + SKEW_SEC)) {
    throw rejected(700024, 'Client assertion is not within its valid time range: it was issued in the future (iat).');
  }
  if ((typeof nbf === 'number' && exp <= nbf) || (typeof iat === 'number' && exp <= iat)) {
    throw rejected(700024, 'Client assertion is not within its valid time range: exp is not after nbf/iat.');
  }
  // Replays are NOT refused: MSAL reuses one assertion for every request during its 10 minutes.
  if (typeof jti !== 'string' || jti === '') throw rejected(50027, "The client assertion has no 'jti' claim.");
}

/** RFC 7523 client authentication with a certificate-signed JWT, as Entra checks it. */
export async function verifyClientAssertion(assertion: string, check: AssertionCheck): Promise<void> {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw rejected(50027, 'The client assertion is not a well-formed JWT.');
  }
  if (assertion.split('.').length !== 3) throw rejected(50027, 'The client assertion must be a signed JWT (JWS compact form), not an encrypted one.');
  if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) {
    throw rejected(700027, `Client assertion failed signature validation: the algorithm must be one of ${ALGORITHMS.join(', ')}.`);
  }
  const cert = registeredCertificate(header, check);
  const publicKey: KeyObject = createPublicKey(cert.certPem);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(assertion, publicKey, { algorithms: ALGORITHMS }));
  } catch {
    throw rejected(700027, 'Client assertion failed signature validation: the signature does not verify with the registered certificate.');
  }
  checkClaims(payloadOf(payload), check);
}
