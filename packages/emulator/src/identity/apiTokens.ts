import type { JWTPayload } from 'jose';
import type { EmuApiApp, EmuUser, Tenant } from '../model.js';
import { derivedGuid, v2Issuer } from './tokens.js';

/** The web API registered under `clientId` (the MCP server), if any. */
export function apiApp(tenant: Tenant, clientId: string): EmuApiApp | undefined {
  const api = tenant.apps.mcpServer;
  return api !== undefined && api.clientId.toLowerCase() === clientId.toLowerCase() ? api : undefined;
}

/** The app roles of the API assigned to a user (empty for users of another tenant). */
export function assignedRoles(api: EmuApiApp | undefined, userId: string): string[] {
  return [...(api?.userRoles[userId] ?? [])];
}

export interface ApiTokenClaims {
  authorityHost: string;
  tenantId: string;
  user: EmuUser;
  /** The API's client id (Entra's default `aud` of v2 tokens for an API). */
  audience: string;
  scopes: readonly string[];
  roles: readonly string[];
  /** The client the user signed in with. */
  clientAppId: string;
}

/**
 * A v2 access token for a web API, as Entra shapes it when the API's manifest asks for v2
 * tokens: v2 issuer, `azp` instead of `appid`, `scp` space separated, `roles` only when assigned.
 * The `upn` claim is an optional claim in Entra; the emulator always adds it.
 */
export function apiAccessTokenClaims(c: ApiTokenClaims): JWTPayload {
  return {
    aud: c.audience,
    iss: v2Issuer(c.authorityHost, c.tenantId),
    tid: c.tenantId,
    oid: c.user.id,
    // Pairwise per API, as Entra makes `sub`.
    sub: derivedGuid(`sub:${c.audience.toLowerCase()}:${c.user.id}`),
    preferred_username: c.user.upn,
    upn: c.user.upn,
    name: c.user.displayName,
    scp: c.scopes.join(' '),
    ...(c.roles.length > 0 ? { roles: [...c.roles] } : {}),
    azp: c.clientAppId,
    azpacr: '0',
    ver: '2.0',
  };
}
