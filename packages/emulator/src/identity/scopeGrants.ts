import type { EmuApiApp, EmuApp, Tenant } from '../model.js';
import { OAuthError } from './oauthError.js';

/** Graph's well-known application id, which Entra also accepts as the resource prefix of a scope. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

const OIDC_SCOPES = ['openid', 'profile', 'offline_access', 'email'] as const;
type OidcScope = (typeof OIDC_SCOPES)[number];

export interface GrantedScopes {
  /** Graph permission names as the app registration spells them, without the resource prefix. */
  graph: string[];
  /** OpenID scopes that were asked for, in a fixed order. */
  oidc: OidcScope[];
  /** Set instead of `graph` when the request named a web API of the tenant (`api://<id>/access_as_user`). */
  api?: GrantedApiScopes;
}

export interface GrantedApiScopes {
  clientId: string;
  /** The identifier URI (or client id) the request named the API by: a v1.0 token's `aud`. */
  requestedAs: string;
  /** The API's scope names as it exposes them, without the prefix. */
  scopes: string[];
}

/** A web API a client may ask tokens for, besides Graph. */
export type ExposedApi = Pick<EmuApiApp, 'clientId' | 'identifierUris' | 'displayName' | 'exposedScopes' | 'preAuthorizedClientIds'>;

export function exposedApis(tenant: Tenant): ExposedApi[] {
  const api = tenant.apps.mcpServer;
  return api === undefined || api.registered === false ? [] : [api];
}

export interface ResolveOptions {
  apis?: readonly ExposedApi[];
  /** Named in AADSTS500011 for a scope of a resource the tenant does not have. */
  tenantName?: string;
  /**
   * A Graph permission the app was not consented for: `invalid_scope` at sign-in (the app does not
   * list it), `consent_required` on-behalf-of (Entra would need someone to consent first).
   */
  unconsented?: 'invalid_scope' | 'consent_required';
}

function isOidc(scope: string): scope is OidcScope {
  return (OIDC_SCOPES as readonly string[]).includes(scope);
}

function splitScopes(raw: string | undefined): string[] {
  return (raw ?? '').split(/\s+/).filter((s) => s.length > 0);
}

/** The permission name if `scope` addresses Graph (prefixed or bare), else undefined. */
function graphPermission(scope: string, graphResource: string): string | undefined {
  const lower = scope.toLowerCase();
  for (const prefix of [graphResource.toLowerCase() + '/', GRAPH_APP_ID + '/']) {
    if (lower.startsWith(prefix)) return scope.slice(prefix.length);
  }
  // Bare names (no scheme, no resource path) mean Graph, as they do for Entra.
  return scope.includes('/') || scope.includes(':') ? undefined : scope;
}

/** The resource part of a prefixed scope: everything before the last slash (`https://x/mcp` of `https://x/mcp/access_as_user`). */
export function scopeResource(scope: string): string | undefined {
  const slash = scope.lastIndexOf('/');
  return slash > 0 ? scope.slice(0, slash) : undefined;
}

/** The API and permission if `scope` is prefixed by one of an API's identifier URIs or its client id. */
function apiPermission(scope: string, apis: readonly ExposedApi[]): { api: ExposedApi; permission: string; requestedAs: string } | undefined {
  const resource = scopeResource(scope);
  if (resource === undefined) return undefined;
  const lower = resource.toLowerCase();
  for (const api of apis) {
    for (const name of [...api.identifierUris, api.clientId]) {
      if (lower === name.toLowerCase()) return { api, permission: scope.slice(resource.length + 1), requestedAs: resource };
    }
  }
  return undefined;
}

/**
 * A scope whose resource no app of the tenant is registered under. Entra answers AADSTS500011
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes: InvalidResourceServicePrincipalNotFound).
 */
function resourceNotFound(resource: string, tenantName: string): OAuthError {
  return new OAuthError(
    400,
    'invalid_resource',
    500011,
    `The resource principal named ${resource} was not found in the tenant named ${tenantName}. This can happen if the application has not been ` +
      'installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.',
  );
}

function invalidScope(scope: string, why: string): OAuthError {
  return new OAuthError(
    400,
    'invalid_scope',
    70011,
    `The provided value for the input parameter 'scope' is not valid. The scope '${scope}' ${why}`,
  );
}

/**
 * Resolves a delegated request's scopes against what the app may ask for. Scope names compare
 * case-insensitively, as in Entra; `/.default` means everything the app was consented for (or,
 * for a web API, everything it exposes). One request names one resource: Graph or one API.
 */
export function resolveDelegatedScopes(raw: string | undefined, app: EmuApp, graphResource: string, opts: ResolveOptions = {}): GrantedScopes {
  const graph = new Set<string>();
  const oidc = new Set<OidcScope>();
  let api: { api: ExposedApi; requestedAs: string; scopes: Set<string> } | undefined;
  const resources = new Set<string>();
  for (const scope of splitScopes(raw)) {
    const lower = scope.toLowerCase();
    if (isOidc(lower)) {
      oidc.add(lower);
      continue;
    }
    const forApi = apiPermission(scope, opts.apis ?? []);
    if (forApi !== undefined) {
      resources.add(forApi.api.clientId);
      api ??= { api: forApi.api, requestedAs: forApi.requestedAs, scopes: new Set() };
      if (api.api !== forApi.api) continue; // reported below as several resources
      if (forApi.permission.toLowerCase() === '.default') {
        for (const s of forApi.api.exposedScopes) api.scopes.add(s);
        continue;
      }
      const exposed = forApi.api.exposedScopes.find((s) => s.toLowerCase() === forApi.permission.toLowerCase());
      if (exposed === undefined) throw invalidScope(scope, `is not a scope exposed by '${forApi.api.displayName}'.`);
      api.scopes.add(exposed);
      continue;
    }
    const permission = graphPermission(scope, graphResource);
    if (permission === undefined) throw resourceNotFound(scopeResource(scope) ?? scope, opts.tenantName ?? 'this tenant');
    resources.add(GRAPH_APP_ID);
    if (permission.toLowerCase() === '.default') {
      // Registrations may list the OpenID scopes among their permissions; they are not Graph's.
      for (const s of app.delegatedScopes) if (!isOidc(s.toLowerCase())) graph.add(s);
      continue;
    }
    const known = app.delegatedScopes.find((s) => s.toLowerCase() === permission.toLowerCase());
    if (known === undefined) {
      if (opts.unconsented === 'consent_required') {
        throw new OAuthError(
          400,
          'invalid_grant',
          65001,
          `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}' for ${permission}. Send an interactive authorization request for this user and resource.`,
          'consent_required',
        );
      }
      throw invalidScope(scope, `is not a delegated permission of application '${app.displayName}'.`);
    }
    graph.add(known);
  }
  if (resources.size > 1) {
    throw new OAuthError(400, 'invalid_scope', 28000, `Provided value for the input parameter scope '${raw ?? ''}' is not valid because it contains more than one resource.`);
  }
  const oidcScopes = OIDC_SCOPES.filter((s) => oidc.has(s));
  if (api === undefined) return { graph: [...graph], oidc: oidcScopes };
  if (!api.api.preAuthorizedClientIds.includes(app.clientId) && api.api.clientId !== app.clientId) {
    throw new OAuthError(
      400,
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}' for '${api.api.displayName}'.`,
      'consent_required',
    );
  }
  return { graph: [], oidc: oidcScopes, api: { clientId: api.api.clientId, requestedAs: api.requestedAs, scopes: [...api.scopes] } };
}

/** The resource a client credentials request names: Graph, or a web API of the tenant and the name it was asked by. */
export type AppTokenResource = { kind: 'graph' } | { kind: 'api'; api: ExposedApi; requestedAs: string };

/**
 * Client credentials accept exactly one `{resource}/.default` scope, the resource named by its
 * application ID URI (or app id): Graph, or any API of the tenant
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow, `scope`).
 * A resource no app of the tenant is registered under is AADSTS500011.
 */
export function requireDefaultScope(raw: string | undefined, graphResource: string, opts: { apis?: readonly ExposedApi[]; tenantName?: string } = {}): AppTokenResource {
  const scopes = splitScopes(raw);
  const only = scopes.length === 1 ? scopes[0] : undefined;
  const permission = only === undefined ? undefined : graphPermission(only, graphResource);
  if (only !== undefined && only.includes('/') && permission?.toLowerCase() === '.default') return { kind: 'graph' };
  const forApi = only === undefined ? undefined : apiPermission(only, opts.apis ?? []);
  if (forApi !== undefined && forApi.permission.toLowerCase() === '.default') return { kind: 'api', api: forApi.api, requestedAs: forApi.requestedAs };
  const resource = only === undefined ? undefined : scopeResource(only);
  if (only !== undefined && resource !== undefined && only.toLowerCase().endsWith('/.default') && forApi === undefined && permission === undefined)
    throw resourceNotFound(resource, opts.tenantName ?? 'this tenant');
  throw new OAuthError(
    400,
    'invalid_scope',
    1002012,
    `The provided value for scope '${scopes.join(' ')}' is not valid. Client credential flows must have a scope value ` +
      `with /.default suffixed to the resource identifier (application ID URI), e.g. ${graphResource}/.default.`,
  );
}

export function scopeResponseString(granted: GrantedScopes, graphResource: string): string {
  const { api } = granted;
  const resourceScopes = api === undefined ? granted.graph.map((s) => `${graphResource}/${s}`) : api.scopes.map((s) => `${api.requestedAs}/${s}`);
  return [...resourceScopes, ...granted.oidc].join(' ');
}
