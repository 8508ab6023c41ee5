import type { EmuUser, GraphCaller } from '../model.js';

/**
 * Permission checks. Scope and role names compare case-insensitively and may carry a resource
 * prefix ("https://graph.microsoft.com/Files.Read.All"), as Entra tolerates both.
 */
function bare(permission: string): string {
  return permission.slice(permission.lastIndexOf('/') + 1).toLowerCase();
}

function holds(granted: readonly string[], wanted: string): boolean {
  const w = wanted.toLowerCase();
  return granted.some((g) => bare(g) === w);
}

/** The delegated scopes among `required` (all needed) that the caller lacks; an app caller lacks them all. */
export function missingScopes(caller: GraphCaller, required: readonly string[]): string[] {
  if (caller.kind !== 'delegated') return required.slice();
  return required.filter((s) => !holds(caller.scopes, s));
}

/** True when a delegated caller holds at least one of `anyOf`. */
export function hasAnyScope(caller: GraphCaller, anyOf: readonly string[]): boolean {
  return caller.kind === 'delegated' && anyOf.some((s) => holds(caller.scopes, s));
}

/** True when an app caller holds at least one of the application roles `anyOf`. */
export function hasAnyRole(caller: GraphCaller, anyOf: readonly string[]): boolean {
  return caller.kind === 'app' && anyOf.some((r) => holds(caller.roles, r));
}

export function isLicensed(user: EmuUser | undefined): boolean {
  return user?.copilotLicense === true;
}

export const LICENCE_MESSAGE =
  'The user does not have a Microsoft 365 Copilot license. This API requires a Microsoft 365 Copilot license assigned to the user.';
