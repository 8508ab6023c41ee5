import type { JWTPayload } from 'jose';
import type { EmuUser, Tenant } from '../model.js';
import { apiAccessTokenClaims, apiApp, apiByIdentifierUri, assignedRoles } from './apiTokens.js';
import { GRAPH_APP_ID } from './scopeGrants.js';
import { graphAccessTokenClaims, type IssuerContext } from './tokens.js';

/**
 * `POST /_emulator/tokens/mint`: a signed access token for any user of either tenant, without a
 * sign-in flow, for tests and curl. Shaped exactly as the token endpoint would issue it.
 */
export interface MintRequest {
  /** UPN or object id, of this tenant or of the other one. */
  user: string;
  /** Default: the MCP server's client id. The Graph resource (or Graph's app id) gives a Graph token. */
  audience?: string;
  /** Space separated. Default: `access_as_user` (API), the public client's Graph permissions (Graph). */
  scope?: string;
  /** Tenant id or domain to look the user up in; default both. */
  tenant?: string;
  /** Default: the emulator's access token lifetime. Negative: a token that expired that many seconds ago. */
  lifetimeSec?: number;
  /** Replaces the user's app role assignments in the `roles` claim. */
  roles?: string[];
  /** Replaces the `iss` claim (a token from an issuer the server must not trust, still validly signed). */
  issuer?: string;
  /** Positive: the token becomes valid (nbf, and iat with it) this many seconds from now. */
  notBeforeSec?: number;
}

export interface MintedToken {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

/** A request the emulator cannot honour; the message says what to change. */
export class MintError extends Error {}

interface Directory {
  id: string;
  domain: string;
  users: readonly EmuUser[];
}

function directories(tenant: Tenant): Directory[] {
  return tenant.otherTenant === undefined ? [tenant] : [tenant, tenant.otherTenant];
}

function describeDirectories(dirs: readonly Directory[]): string {
  return dirs.map((d) => `${d.domain} (${d.id})`).join(' and ');
}

function findUser(tenant: Tenant, ref: string, tenantRef: string | undefined): { user: EmuUser; tenantId: string } {
  const all = directories(tenant);
  let dirs = all;
  if (tenantRef !== undefined) {
    const wanted = tenantRef.toLowerCase();
    dirs = all.filter((d) => d.id.toLowerCase() === wanted || d.domain.toLowerCase() === wanted);
    if (dirs.length === 0) throw new MintError(`No tenant "${tenantRef}" in this emulator: it knows ${describeDirectories(all)}.`);
  }
  const wanted = ref.toLowerCase();
  for (const dir of dirs) {
    const user = dir.users.find((u) => u.upn.toLowerCase() === wanted || u.id.toLowerCase() === wanted);
    if (user !== undefined) return { user, tenantId: dir.id };
  }
  throw new MintError(
    `No user "${ref}" in ${describeDirectories(dirs)}. Use a UPN or object id from the emulator descriptor's "users" (or "otherTenant.users").`,
  );
}

function bareScopes(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  // "api://<id>/access_as_user" and "https://graph.microsoft.com/Files.Read.All" name the permission after the last slash.
  const scopes = raw.split(/\s+/).filter((s) => s.length > 0).map((s) => s.slice(s.lastIndexOf('/') + 1));
  return scopes.length > 0 ? scopes : undefined;
}

export async function mintAccessToken(ctx: IssuerContext, req: MintRequest): Promise<MintedToken> {
  const { tenant } = ctx;
  const { user, tenantId } = findUser(tenant, req.user, req.tenant);
  const server = tenant.apps.mcpServer;
  const audience = req.audience ?? server?.clientId;
  if (audience === undefined) throw new MintError('This tenant has no MCP server app: give an "audience".');
  const publicClient = tenant.apps.publicClient;
  const scopes = bareScopes(req.scope);

  let claims: JWTPayload;
  const lower = audience.toLowerCase();
  if (lower === ctx.graphResource.toLowerCase() || lower === GRAPH_APP_ID) {
    const graphScopes = scopes ?? publicClient.delegatedScopes.filter((s) => !['openid', 'profile', 'offline_access', 'email'].includes(s.toLowerCase()));
    claims = graphAccessTokenClaims({ tenantId, graphResource: ctx.graphResource, user, app: publicClient, scopes: graphScopes });
    if (req.roles !== undefined && req.roles.length > 0) claims['roles'] = [...req.roles];
  } else {
    // The API's roles for a user of its own tenant; an identifier URI audience names the same API.
    const api = apiByIdentifierUri(tenant, audience) ?? apiApp(tenant, audience);
    const roles = req.roles ?? (tenantId === tenant.id ? assignedRoles(api, user.id) : []);
    // A v2.0 token's aud is always the API's client id; asking for another audience (a test of the
    // server's audience check, or an identifier URI) gets the v1.0 shape, whose aud is what was asked for.
    const v2 = (api?.requestedAccessTokenVersion ?? 2) === 2 && (api === undefined || lower === api.clientId.toLowerCase());
    claims = apiAccessTokenClaims({
      authorityHost: ctx.authorityHost,
      tenantId,
      user,
      apiClientId: v2 ? audience : (api?.clientId ?? audience),
      requestedAs: audience,
      version: v2 ? 2 : 1,
      scopes: scopes ?? api?.exposedScopes ?? ['access_as_user'],
      roles,
      clientAppId: publicClient.clientId,
      clientAuth: 'none',
    });
  }

  if (req.issuer !== undefined) claims['iss'] = req.issuer;
  const lifetime = req.lifetimeSec ?? ctx.accessTokenLifetimeSec;
  if (!Number.isInteger(lifetime) || lifetime === 0) throw new MintError('"lifetimeSec" must be a whole number of seconds other than 0.');
  if (req.notBeforeSec !== undefined && (!Number.isInteger(req.notBeforeSec) || req.notBeforeSec <= 0))
    throw new MintError('"notBeforeSec" must be a positive whole number of seconds.');
  if (req.notBeforeSec !== undefined && lifetime < 0) throw new MintError('"notBeforeSec" and a negative "lifetimeSec" contradict each other.');
  const now = ctx.clock() + (req.notBeforeSec ?? 0) * 1000;
  // An expired token still looks issued normally: iat and nbf one default lifetime before its exp.
  const token =
    lifetime > 0
      ? await ctx.keys.signJwt(claims, lifetime, now)
      : await ctx.keys.signJwt(claims, ctx.accessTokenLifetimeSec, now + (lifetime - ctx.accessTokenLifetimeSec) * 1000);
  return { access_token: token, expires_in: lifetime, token_type: 'Bearer' };
}
