/** Scopes of the sign-in itself, never a Graph permission: not prefixed, never reported as granted. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'offline_access', 'email']);

/**
 * Tools speak bare Graph permission names (Files.Read.All); MSAL and Entra want them under the
 * resource (https://graph.microsoft.com/Files.Read.All). One place converts both ways.
 */
export interface ScopeNames {
  scoped(bare: readonly string[]): string[];
  /** Bare names of what a token carries, sign-in scopes left out. */
  bare(scopes: readonly string[]): string[];
}

export function scopeNames(graphResource: string): ScopeNames {
  const prefix = `${graphResource}/`;
  return {
    scoped: (bare) => bare.map((s) => (OIDC_SCOPES.has(s) || s.includes('://') ? s : `${prefix}${s}`)),
    bare: (scopes) => scopes.map((s) => (s.startsWith(prefix) ? s.slice(prefix.length) : s)).filter((s) => !OIDC_SCOPES.has(s)),
  };
}
