import { randomUUID } from 'node:crypto';

/**
 * What `setup` wants the server app's registration to be, as a difference from what it is, in
 * Graph's application shape (https://learn.microsoft.com/graph/api/resources/application). Pure:
 * the same registration and wishes always give the same plan, and an applied plan gives none.
 */
export interface PermissionScope {
  id: string;
  value: string;
  type: string;
  isEnabled: boolean;
  adminConsentDisplayName: string;
  adminConsentDescription: string;
  userConsentDisplayName?: string | null;
  userConsentDescription?: string | null;
}

export interface ResourceAccess {
  resourceAppId: string;
  resourceAccess: { id: string; type: string }[];
}

export interface Application {
  id: string;
  appId: string;
  displayName?: string;
  requiredResourceAccess?: ResourceAccess[];
  /** Listed without their text, which Graph returns only when one is added. */
  passwordCredentials?: { keyId: string }[];
  identifierUris?: string[];
  appRoles?: AppRole[];
  api?: {
    requestedAccessTokenVersion?: number | null;
    oauth2PermissionScopes?: PermissionScope[];
    preAuthorizedApplications?: { appId: string; delegatedPermissionIds: string[] }[];
  };
}

/** An app role an application defines (https://learn.microsoft.com/graph/api/resources/approle). */
export interface AppRole {
  id: string;
  value: string | null;
  displayName: string;
  description: string;
  isEnabled: boolean;
  allowedMemberTypes: string[];
}

export interface Wishes {
  /** The advertised resource: the exact public URL. */
  resource: string;
  scope: string;
  /** Client ids to authorize for the scope. */
  clients: string[];
}

/** One PATCH of /applications/{id}; scopes first, since an authorized client names a scope by its id. */
export interface PlannedUpdate {
  describe: string[];
  body: Record<string, unknown>;
}

export function planRegistration(app: Application, wishes: Wishes, newId: () => string = randomUUID): PlannedUpdate[] {
  const updates: PlannedUpdate[] = [];
  const first: PlannedUpdate = { describe: [], body: {} };
  const uris = app.identifierUris ?? [];
  if (!uris.includes(wishes.resource)) {
    first.body['identifierUris'] = [...uris, wishes.resource];
    first.describe.push(`add the identifier URI ${wishes.resource}`);
  }
  const api: Record<string, unknown> = {};
  if (app.api?.requestedAccessTokenVersion !== 2) {
    api['requestedAccessTokenVersion'] = 2;
    first.describe.push('issue v2.0 access tokens (requestedAccessTokenVersion 2)');
  }
  const scopes = app.api?.oauth2PermissionScopes ?? [];
  let scope = scopes.find((s) => s.value.toLowerCase() === wishes.scope.toLowerCase());
  if (!scope || !scope.isEnabled) {
    const wanted: PermissionScope = {
      id: scope?.id ?? newId(),
      value: wishes.scope,
      type: 'User',
      isEnabled: true,
      adminConsentDisplayName: 'Use the Microsoft 365 Copilot MCP server as you',
      adminConsentDescription: 'Lets the client call the m365-copilot-mcp server on behalf of the signed-in user.',
      userConsentDisplayName: 'Use the Microsoft 365 Copilot MCP server as you',
      userConsentDescription: 'Lets the client call the m365-copilot-mcp server on your behalf.',
    };
    api['oauth2PermissionScopes'] = [...scopes.filter((s) => s !== scope), wanted];
    first.describe.push(scope ? `enable the scope ${wishes.scope}` : `expose the scope ${wishes.scope}`);
    scope = wanted;
  }
  if (Object.keys(api).length > 0) first.body['api'] = api;
  if (first.describe.length > 0) updates.push(first);

  const authorized = app.api?.preAuthorizedApplications ?? [];
  const missing = wishes.clients.filter((id) => !authorized.some((a) => a.appId.toLowerCase() === id.toLowerCase() && a.delegatedPermissionIds.includes(scope.id)));
  if (missing.length > 0) {
    const next = authorized.map((a) => ({ appId: a.appId, delegatedPermissionIds: [...a.delegatedPermissionIds] }));
    for (const id of missing) {
      const entry = next.find((a) => a.appId.toLowerCase() === id.toLowerCase());
      if (entry) entry.delegatedPermissionIds.push(scope.id);
      else next.push({ appId: id, delegatedPermissionIds: [scope.id] });
    }
    updates.push({ describe: missing.map((id) => `authorize the client ${id} for ${wishes.scope}`), body: { api: { preAuthorizedApplications: next } } });
  }
  return updates;
}

/**
 * The `requiredResourceAccess` that adds `wanted` (ids of Graph delegated permissions) to what the
 * app lists, or undefined when it lists them all already. The list documents what the app asks
 * for (the portal's "API permissions"); the admin-consent grant is what lets tokens carry them.
 */
export function planResourceAccess(current: readonly ResourceAccess[] | undefined, resourceAppId: string, wanted: readonly string[], type: 'Scope' | 'Role' = 'Scope'): ResourceAccess[] | undefined {
  const list = structuredClone([...(current ?? [])]);
  let entry = list.find((r) => r.resourceAppId.toLowerCase() === resourceAppId.toLowerCase());
  const missing = wanted.filter((id) => !entry?.resourceAccess.some((a) => a.type === type && a.id.toLowerCase() === id.toLowerCase()));
  if (missing.length === 0) return undefined;
  if (!entry) list.push((entry = { resourceAppId, resourceAccess: [] }));
  entry.resourceAccess.push(...missing.map((id) => ({ id, type })));
  return list;
}

/**
 * The server app's `appRoles` with the export role enabled for users (the role the server's
 * export authorization reads from users' `roles` claim), or undefined when it is already so. A
 * role of that value that is disabled or not for users is enabled for users, keeping its id.
 */
export function planExportRole(current: readonly AppRole[] | undefined, role: string, newId: () => string = randomUUID): AppRole[] | undefined {
  const roles = structuredClone([...(current ?? [])]);
  const existing = roles.find((r) => (r.value ?? '').toLowerCase() === role.toLowerCase());
  if (existing?.isEnabled && existing.allowedMemberTypes.includes('User')) return undefined;
  const wanted: AppRole = {
    id: existing?.id ?? newId(),
    value: role,
    displayName: 'Export Copilot interactions of any user',
    description: "Lets the user export other users' Microsoft 365 Copilot interactions through the m365-copilot-mcp server.",
    isEnabled: true,
    allowedMemberTypes: [...new Set([...(existing?.allowedMemberTypes ?? []), 'User'])],
  };
  return [...roles.filter((r) => r !== existing), wanted];
}
