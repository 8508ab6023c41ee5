import type { JWTPayload } from 'jose';
import type { EmuApiApp, EmuUser, Tenant } from '../model.js';
import type { ClientAuthMethod } from './clients.js';
import { accessTokenIssuer, derivedGuid, v2Issuer } from './tokens.js';

/** The MCP server's web API, unless a fresh tenant has not registered it yet. */
export function registeredApi(tenant: Tenant): EmuApiApp | undefined {
  const api = tenant.apps.mcpServer;
  return api?.registered === false ? undefined : api;
}

/** The web API registered under `clientId` (the MCP server), if any. */
export function apiApp(tenant: Tenant, clientId: string): EmuApiApp | undefined {
  const api = registeredApi(tenant);
  return api !== undefined && api.clientId.toLowerCase() === clientId.toLowerCase() ? api : undefined;
}

/** The web API one of whose identifier URIs is `uri` (case-insensitive, as Entra compares them). */
export function apiByIdentifierUri(tenant: Tenant, uri: string): EmuApiApp | undefined {
  const api = registeredApi(tenant);
  const lower = uri.toLowerCase();
  return api !== undefined && api.identifierUris.some((u) => u.toLowerCase() === lower) ? api : undefined;
}

/** The app roles of the API assigned to a user (empty for users of another tenant). */
export function assignedRoles(api: EmuApiApp | undefined, userId: string): string[] {
  return [...(api?.userRoles[userId] ?? [])];
}

/**
 * `appidacr` (v1.0) / `azpacr` (v2.0): how the client proved itself. Per
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference : `0` for a
 * public client, `1` for a client id and secret, `2` for a client certificate (the emulator's only
 * kind of client assertion).
 */
export function clientAuthClass(method: ClientAuthMethod): '0' | '1' | '2' {
  return method === 'assertion' ? '2' : method === 'secret' ? '1' : '0';
}

export interface ApiTokenClaims {
  authorityHost: string;
  tenantId: string;
  user: EmuUser;
  /** The API's client id. */
  apiClientId: string;
  /** What the client named the API by (identifier URI or client id): the `aud` of a v1.0 token. */
  requestedAs: string;
  /** The API manifest's requestedAccessTokenVersion. */
  version: 1 | 2;
  scopes: readonly string[];
  roles: readonly string[];
  /** The client the user signed in with. */
  clientAppId: string;
  clientAuth: ClientAuthMethod;
}

/**
 * An access token for a web API, in the claim set of the version its manifest asks for
 * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference):
 * - v2.0: `aud` always the API's client id, `iss` `{authority}/{tid}/v2.0`, `azp` + `azpacr`,
 *   `preferred_username`;
 * - v1.0: `aud` the client id or identifier URI used in the request, `iss`
 *   `https://sts.windows.net/{tid}/`, `appid` + `appidacr`, `unique_name`.
 * `scp` space separated, `roles` only when assigned. `upn` is optional in Entra; the emulator adds it.
 */
export function apiAccessTokenClaims(c: ApiTokenClaims): JWTPayload {
  const common = {
    tid: c.tenantId,
    oid: c.user.id,
    // Pairwise per API, as Entra makes `sub`.
    sub: derivedGuid(`sub:${c.apiClientId.toLowerCase()}:${c.user.id}`),
    upn: c.user.upn,
    name: c.user.displayName,
    scp: c.scopes.join(' '),
    ...(c.roles.length > 0 ? { roles: [...c.roles] } : {}),
  };
  const acr = clientAuthClass(c.clientAuth);
  if (c.version === 1) {
    return { aud: c.requestedAs, iss: accessTokenIssuer(c.tenantId), ...common, unique_name: c.user.upn, appid: c.clientAppId, appidacr: acr, ver: '1.0' };
  }
  return { aud: c.apiClientId, iss: v2Issuer(c.authorityHost, c.tenantId), ...common, preferred_username: c.user.upn, azp: c.clientAppId, azpacr: acr, ver: '2.0' };
}
