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

/**
 * The emulated directory has no role assignments: a user whose job title names an administrator
 * holds the Entra administrator role a directory write needs (usage reports, app registrations,
 * consent grants, app role assignments).
 */
export const ADMIN_TITLE = /administrator/i;

/**
 * A directory write as Graph documents it: an app holding one of the application permissions
 * `anyOf`, or a delegated caller holding one of those scopes who is also an administrator.
 */
export function administers(caller: GraphCaller, anyOf: readonly string[], usersById: ReadonlyMap<string, EmuUser>): boolean {
  if (caller.kind === 'app') return hasAnyRole(caller, anyOf);
  return caller.kind === 'delegated' && hasAnyScope(caller, anyOf) && ADMIN_TITLE.test(usersById.get(caller.userId.toLowerCase())?.jobTitle ?? '');
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
