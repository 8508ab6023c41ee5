import type { EmuApp } from '../model.js';
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
 * case-insensitively, as in Entra; `/.default` means everything the app was consented for.
 */
export function resolveDelegatedScopes(raw: string | undefined, app: EmuApp, graphResource: string): GrantedScopes {
  const graph = new Set<string>();
  const oidc = new Set<OidcScope>();
  for (const scope of splitScopes(raw)) {
    const lower = scope.toLowerCase();
    if (isOidc(lower)) {
      oidc.add(lower);
      continue;
    }
    const permission = graphPermission(scope, graphResource);
    if (permission === undefined) throw invalidScope(scope, 'names a resource this tenant does not have.');
    if (permission.toLowerCase() === '.default') {
      // Registrations may list the OpenID scopes among their permissions; they are not Graph's.
      for (const s of app.delegatedScopes) if (!isOidc(s.toLowerCase())) graph.add(s);
      continue;
    }
    const known = app.delegatedScopes.find((s) => s.toLowerCase() === permission.toLowerCase());
    if (known === undefined) {
      throw invalidScope(scope, `is not a delegated permission of application '${app.displayName}'.`);
    }
    graph.add(known);
  }
  return { graph: [...graph], oidc: OIDC_SCOPES.filter((s) => oidc.has(s)) };
}

/** Client credentials accept exactly one `{resource}/.default` scope. */
export function requireDefaultScope(raw: string | undefined, graphResource: string): void {
  const scopes = splitScopes(raw);
  const only = scopes.length === 1 ? scopes[0] : undefined;
  const permission = only === undefined ? undefined : graphPermission(only, graphResource);
  if (only !== undefined && only.includes('/') && permission?.toLowerCase() === '.default') return;
  throw new OAuthError(
    400,
    'invalid_scope',
    1002012,
    `The provided value for scope '${scopes.join(' ')}' is not valid. Client credential flows must have a scope value ` +
      `with /.default suffixed to the resource identifier (application ID URI), e.g. ${graphResource}/.default.`,
  );
}

export function scopeResponseString(granted: GrantedScopes, graphResource: string): string {
  return [...granted.graph.map((s) => `${graphResource}/${s}`), ...granted.oidc].join(' ');
}
