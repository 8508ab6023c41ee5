import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { EmuApiApp, EmuApp, EmuUser, Tenant } from '../model.js';
import { apiAccessTokenClaims, apiApp, assignedRoles, clientAuthClass } from './apiTokens.js';
import type { ClientAuthMethod } from './clients.js';
import type { SigningKeys } from './keys.js';
import type { RefreshTokenStore } from './refreshTokens.js';
import { scopeResponseString, type GrantedScopes } from './scopeGrants.js';

export interface IssuerContext {
  tenant: Tenant;
  /** https origin of the identity provider, e.g. https://127.0.0.1:43123 */
  authorityHost: string;
  graphResource: string;
  /** Mutable: the control route changes it for tokens issued from then on. */
  accessTokenLifetimeSec: number;
  clock: () => number;
  keys: SigningKeys;
  refreshTokens: RefreshTokenStore;
}

/** Issuer of id tokens and of the OpenID metadata (v2 endpoint). */
export function v2Issuer(authorityHost: string, tenantId: string): string {
  return `${authorityHost}/${tenantId}/v2.0`;
}

/** Issuer of Graph access tokens: Graph still receives v1 tokens from the v2 endpoint. */
export function accessTokenIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

/** A stable GUID-shaped id derived from a name, for objects the tenant model does not list. */
export function derivedGuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** MSAL builds the home account id (`uid.utid`) from this, not from the id token. */
export function clientInfo(user: EmuUser, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: user.id, utid: tenantId })).toString('base64url');
}

export interface DelegatedTokenResponse {
  token_type: 'Bearer';
  scope: string;
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  client_info: string;
}

/**
 * A delegated Graph access token's claims: a v1.0 token, as Graph receives from either endpoint
 * (v1.0 claim set: `appid` + `appidacr`, no `azp`; access-token-claims-reference).
 */
export function graphAccessTokenClaims(c: {
  tenantId: string;
  graphResource: string;
  user: EmuUser;
  app: Pick<EmuApp, 'clientId' | 'displayName'>;
  scopes: readonly string[];
  clientAuth?: ClientAuthMethod;
}): JWTPayload {
  return {
    aud: c.graphResource,
    iss: accessTokenIssuer(c.tenantId),
    tid: c.tenantId,
    oid: c.user.id,
    sub: derivedGuid(`sub:${c.app.clientId}:${c.user.id}`),
    upn: c.user.upn,
    unique_name: c.user.upn,
    preferred_username: c.user.upn,
    name: c.user.displayName,
    scp: c.scopes.join(' '),
    appid: c.app.clientId,
    app_displayname: c.app.displayName,
    appidacr: clientAuthClass(c.clientAuth ?? 'none'),
    idtyp: 'user',
    ver: '1.0',
  };
}

/** A Graph token (v1, as Graph receives), or a token for the web API of the tenant the request named, in its manifest's version. */
function accessTokenClaims(ctx: IssuerContext, user: EmuUser, app: EmuApp, granted: GrantedScopes, clientAuth: ClientAuthMethod): JWTPayload {
  const tid = ctx.tenant.id;
  if (granted.api !== undefined) {
    const api = apiApp(ctx.tenant, granted.api.clientId);
    return apiAccessTokenClaims({
      authorityHost: ctx.authorityHost,
      tenantId: tid,
      user,
      apiClientId: granted.api.clientId,
      requestedAs: granted.api.requestedAs,
      version: api?.requestedAccessTokenVersion ?? 2,
      scopes: granted.api.scopes,
      roles: assignedRoles(api, user.id),
      clientAppId: app.clientId,
      clientAuth,
    });
  }
  return graphAccessTokenClaims({ tenantId: tid, graphResource: ctx.graphResource, user, app, scopes: granted.graph, clientAuth });
}

export async function issueDelegatedTokens(
  ctx: IssuerContext,
  user: EmuUser,
  app: EmuApp,
  granted: GrantedScopes,
  consented: string[],
  /** The authorize request's nonce; only then does the id token carry one. */
  nonce?: string,
  /** How the client authenticated at the token endpoint (public: none). */
  clientAuth: ClientAuthMethod = 'none',
): Promise<DelegatedTokenResponse> {
  const tid = ctx.tenant.id;
  const now = ctx.clock();
  const lifetime = ctx.accessTokenLifetimeSec;
  const accessToken = ctx.keys.signJwt(accessTokenClaims(ctx, user, app, granted, clientAuth), lifetime, now);
  const idToken = granted.oidc.includes('openid')
    ? ctx.keys.signJwt(
        {
          aud: app.clientId,
          iss: v2Issuer(ctx.authorityHost, tid),
          tid,
          oid: user.id,
          sub: derivedGuid(`sub:${app.clientId}:${user.id}`),
          preferred_username: user.upn,
          name: user.displayName,
          ver: '2.0',
          ...(nonce === undefined ? {} : { nonce }),
        },
        lifetime,
        now,
      )
    : undefined;

  const response: DelegatedTokenResponse = {
    token_type: 'Bearer',
    scope: scopeResponseString(granted, ctx.graphResource),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: await accessToken,
    client_info: clientInfo(user, tid),
  };
  if (granted.oidc.includes('offline_access')) {
    response.refresh_token = ctx.refreshTokens.issue({ clientId: app.clientId, userId: user.id, consented });
  }
  const id = await idToken;
  if (id !== undefined) response.id_token = id;
  return response;
}

export interface AppTokenResponse {
  token_type: 'Bearer';
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
}

export async function issueAppToken(ctx: IssuerContext, app: EmuApp, clientAuth: ClientAuthMethod): Promise<AppTokenResponse> {
  const tid = ctx.tenant.id;
  // The service principal's object id: the model has none, so derive a stable one.
  const servicePrincipalId = derivedGuid(`sp:${tid}:${app.clientId}`);
  const lifetime = ctx.accessTokenLifetimeSec;
  const accessToken = await ctx.keys.signJwt(
    {
      aud: ctx.graphResource,
      iss: accessTokenIssuer(tid),
      tid,
      oid: servicePrincipalId,
      sub: servicePrincipalId,
      roles: [...app.appRoles],
      appid: app.clientId,
      app_displayname: app.displayName,
      appidacr: clientAuthClass(clientAuth),
      idtyp: 'app',
      ver: '1.0',
    },
    lifetime,
    ctx.clock(),
  );
  return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
}

/**
 * An app-only token for a web API of the tenant (client credentials with `{identifier URI}/.default`),
 * in the claim set of the API's token version: no `scp`, `roles` only for app roles the API assigned
 * to the caller (the emulator's API assigns none), `idtyp` app.
 */
export async function issueApiAppToken(ctx: IssuerContext, app: EmuApp, api: EmuApiApp, requestedAs: string, clientAuth: ClientAuthMethod): Promise<AppTokenResponse> {
  const tid = ctx.tenant.id;
  const servicePrincipalId = derivedGuid(`sp:${tid}:${app.clientId}`);
  const lifetime = ctx.accessTokenLifetimeSec;
  const acr = clientAuthClass(clientAuth);
  const common = { tid, oid: servicePrincipalId, sub: servicePrincipalId, idtyp: 'app' };
  const claims: JWTPayload =
    api.requestedAccessTokenVersion === 1
      ? { aud: requestedAs, iss: accessTokenIssuer(tid), ...common, appid: app.clientId, appidacr: acr, ver: '1.0' }
      : { aud: api.clientId, iss: v2Issuer(ctx.authorityHost, tid), ...common, azp: app.clientId, azpacr: acr, ver: '2.0' };
  const accessToken = await ctx.keys.signJwt(claims, lifetime, ctx.clock());
  return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
}
