/** Claims we read from a token we hold, never to trust it: expiry, identity, tenant. */
export interface PeekedClaims {
  exp?: number;
  scp?: string;
  oid?: string;
  tid?: string;
  upn?: string;
  preferred_username?: string;
  unique_name?: string;
  name?: string;
}

/** A JWT's payload without verifying it: the issuer verifies its own tokens; we only read what it said. */
export function peekClaims(token: string): PeekedClaims | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return claims && typeof claims === 'object' ? (claims as PeekedClaims) : undefined;
  } catch {
    return undefined;
  }
}
