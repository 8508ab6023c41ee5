import { decodeJwt, type JWTPayload } from 'jose';
import type { EmuApp, EmuOtherTenant, EmuUser, Tenant } from '../model.js';
import type { SigningKeys } from './keys.js';
import { OAuthError } from './oauthError.js';
import { accessTokenIssuer, v2Issuer } from './tokens.js';

/** What MSAL posts as `grant_type` for on-behalf-of (RFC 7523 JWT bearer). */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface OboAssertionCheck {
  tenant: Tenant;
  keys: SigningKeys;
  authorityHost: string;
  nowMs: number;
  /** The confidential client presenting the assertion: the assertion must be addressed to it. */
  app: EmuApp & { identifierUris?: string[] };
  /** true when the token endpoint was called as `common`/`organizations`: the assertion's tenant decides. */
  viaAlias: boolean;
}

function invalidGrant(aadsts: number, description: string): OAuthError {
  return new OAuthError(400, 'invalid_grant', aadsts, description);
}

/** Entra's answer when an app is asked for in a directory it is not registered in. */
export function appNotInDirectory(clientId: string, domain: string): OAuthError {
  return new OAuthError(
    400,
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${domain}'. This can happen if the application has not been ` +
      'installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.',
  );
}

function epochIso(seconds: unknown): string {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : 'unknown';
}

async function verifiedPayload(assertion: string, check: OboAssertionCheck): Promise<JWTPayload> {
  let claimed: JWTPayload;
  try {
    claimed = decodeJwt(assertion);
  } catch {
    throw invalidGrant(50027, 'JWT token is invalid or malformed.');
  }
  try {
    return (await check.keys.verifySignedToken(assertion, check.nowMs)).payload;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const claim = (err as { claim?: unknown }).claim;
    if (code === 'ERR_JWT_EXPIRED' || (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'nbf')) {
      throw invalidGrant(
        500133,
        'Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, ' +
          `or request a new token. Current time: ${new Date(check.nowMs).toISOString()}, expiry time of assertion ${epochIso(claimed.exp)}.`,
      );
    }
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw invalidGrant(50027, `JWT token is invalid or malformed: the claim '${String(claim)}' is missing or invalid.`);
    // Tampered payload or signature, another key (rotated, or an earlier emulator run), alg none…
    throw invalidGrant(50013, 'Assertion failed signature validation. [Reason - The key was not found, or the signature does not match.]');
  }
}

/**
 * Checks an on-behalf-of assertion as Entra does, in its order: well-formed, signed by the
 * tenant's key, within its lifetime, issued by this tenant, addressed to the presenting app, and
 * carrying a user (`scp`). Returns the user it was issued for.
 */
export async function checkOboAssertion(assertion: string, check: OboAssertionCheck): Promise<EmuUser> {
  const payload = await verifiedPayload(assertion, check);
  const tid = typeof payload['tid'] === 'string' ? payload['tid'].toLowerCase() : '';
  const home = check.tenant.id.toLowerCase();
  const other: EmuOtherTenant | undefined = check.tenant.otherTenant;
  if (tid !== home) {
    // Through `common`, Entra goes to the user's own directory, where this app is not registered.
    if (other !== undefined && tid === other.id.toLowerCase() && check.viaAlias) throw appNotInDirectory(check.app.clientId, other.domain);
    throw invalidGrant(50013, `Assertion failed validation: it was issued for tenant '${tid || 'none'}', not for the tenant '${check.tenant.domain}' the request was sent to.`);
  }
  const issuers = [v2Issuer(check.authorityHost, check.tenant.id), accessTokenIssuer(check.tenant.id)];
  if (typeof payload.iss !== 'string' || !issuers.includes(payload.iss)) {
    throw invalidGrant(50013, `Assertion failed validation: the issuer '${String(payload.iss)}' is not an issuer of this tenant.`);
  }

  // A v1.0 assertion carries the identifier URI the client asked for; a v2.0 one the client id.
  const accepted = [check.app.clientId, ...(check.app.identifierUris ?? [])].map((a) => a.toLowerCase());
  const audiences = (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).filter((a): a is string => typeof a === 'string');
  if (!audiences.some((a) => accepted.includes(a.toLowerCase()))) {
    throw invalidGrant(
      500131,
      `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${audiences.join(', ')}' ` +
        `and the expected audience is '${check.app.clientId}' or one of the Application Ids of the application presenting the assertion.`,
    );
  }
  const scp = payload['scp'];
  if (typeof scp !== 'string' || scp.trim() === '') {
    throw invalidGrant(50013, 'Assertion failed validation: it carries no delegated scopes (scp). On-behalf-of needs a token a user signed in for, not an app-only token.');
  }
  const oid = payload['oid'];
  const user = typeof oid === 'string' ? check.tenant.users.find((u) => u.id.toLowerCase() === oid.toLowerCase()) : undefined;
  if (user === undefined) throw invalidGrant(50034, 'The user account does not exist in the directory. To sign into this application, the account must be added to the directory.');
  return user;
}
