import type { EmuApiApp, EmuApp, GraphResponse, Tenant } from '../model.js';
import { derivedGuid } from '../identity/tokens.js';
import { RegistrationError, updateRegistration, type ServerRegistration } from '../identity/serverRegistration.js';
import { administers, hasAnyRole, hasAnyScope } from './callerPermissions.js';
import { replyFor } from './graphErrorReplies.js';
import type { RouteHandler } from './routeContext.js';

export const APPLICATION_ROUTE = "GET /applications(appId='{appId}')";

/**
 * `GET /applications(appId='{appId}')` (https://learn.microsoft.com/graph/api/application-get):
 * least privileged Application.Read.All, also Application.ReadWrite.All and Directory.Read.All, as
 * application or delegated permissions. The emulator answers for the MCP server's registration, the
 * one app whose identifier URIs, exposed scope and authorized clients `doctor` checks.
 */
const PERMISSIONS = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All'];

/** The application resource type's fields for a web API (https://learn.microsoft.com/graph/api/resources/application). */
export function applicationResource(tenantId: string, app: EmuApiApp): Record<string, unknown> {
  const scopeId = (value: string) => scopeIdOf(app, value);
  return {
    id: derivedGuid(`application:${tenantId}:${app.clientId}`),
    appId: app.clientId,
    displayName: app.displayName,
    signInAudience: 'AzureADMyOrg',
    identifierUris: [...app.identifierUris],
    api: {
      requestedAccessTokenVersion: app.requestedAccessTokenVersion,
      oauth2PermissionScopes: app.exposedScopes.map((value) => ({
        id: scopeId(value),
        value,
        type: 'User',
        isEnabled: true,
        adminConsentDisplayName: `Use ${app.displayName} as the signed-in user`,
        adminConsentDescription: `Lets the app call ${app.displayName} on behalf of the signed-in user.`,
        userConsentDisplayName: null,
        userConsentDescription: null,
      })),
      preAuthorizedApplications: app.preAuthorizedClientIds.map((appId) => ({ appId, delegatedPermissionIds: app.exposedScopes.map(scopeId) })),
    },
    appRoles: app.userRoleDefinitions.map((value) => ({ id: roleIdOf(app, value), value, displayName: value, description: value, isEnabled: true, allowedMemberTypes: ['User'] })),
    requiredResourceAccess: structuredClone(app.requiredResourceAccess ?? []),
    isFallbackPublicClient: false,
    passwordCredentials: passwordCredentials(app),
  };
}

/**
 * A client app's application resource, no API: the public client (sign-in from
 * `publicClient.redirectUris`) or the confidential export app (client credentials only).
 */
export function clientAppResource(tenantId: string, app: EmuApp): Record<string, unknown> {
  const isPublic = app.kind === 'public';
  return {
    id: applicationObjectId(tenantId, app.clientId),
    appId: app.clientId,
    displayName: app.displayName,
    signInAudience: 'AzureADMyOrg',
    identifierUris: [],
    isFallbackPublicClient: isPublic,
    publicClient: { redirectUris: isPublic ? [...(app.publicClientRedirectUris ?? ['http://localhost'])] : [] },
    requiredResourceAccess: structuredClone(app.requiredResourceAccess ?? []),
    passwordCredentials: passwordCredentials(app),
  };
}

/**
 * passwordCredential without its secret text, which Graph returns only from addPassword
 * (https://learn.microsoft.com/graph/api/resources/passwordcredential). A generated app's own
 * secret (the descriptor's) is listed too, so setup sees that the app has one.
 */
function passwordCredentials(app: EmuApp): Record<string, unknown>[] {
  const generated = app.clientSecret === undefined ? [] : [{ keyId: derivedGuid(`secret:${app.clientId}`), displayName: 'emulator', hint: app.clientSecret.slice(0, 3), secretText: null, startDateTime: null, endDateTime: null }];
  return [...generated, ...(app.passwords ?? []).map((p) => ({ keyId: p.keyId, displayName: p.displayName, hint: p.hint, secretText: null, startDateTime: p.startDateTime, endDateTime: p.endDateTime }))];
}

export const applicationObjectId = (tenantId: string, appId: string) => derivedGuid(`application:${tenantId}:${appId}`);

/** The registered apps the applications API manages: the public client, the export app and the MCP server app. */
export function managedApps(tenant: Tenant): EmuApp[] {
  const { publicClient, exportApp, mcpServer } = tenant.apps;
  return [publicClient, exportApp, ...(mcpServer === undefined ? [] : [mcpServer])].filter((a) => a.registered !== false);
}

export function resourceOf(tenant: Tenant, app: EmuApp): Record<string, unknown> {
  return app === tenant.apps.mcpServer ? applicationResource(tenant.id, tenant.apps.mcpServer) : clientAppResource(tenant.id, app);
}

export const applicationHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, APPLICATION_ROUTE);
  if (!hasAnyRole(req.caller, PERMISSIONS) && !hasAnyScope(req.caller, PERMISSIONS))
    return reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  const appId = (params['appId'] ?? '').toLowerCase();
  const app = managedApps(ctx.tenant).find((a) => a.clientId.toLowerCase() === appId);
  if (app === undefined)
    return reply.error(404, 'Request_ResourceNotFound', `Resource '${params['appId'] ?? ''}' does not exist or one of its queried reference-property objects are not present.`);
  return reply.ok({ '@odata.context': `${req.baseUrl}/${req.version}/$metadata#applications/$entity`, ...resourceOf(ctx.tenant, app) });
};

export const APPLICATION_UPDATE_ROUTE = 'PATCH /applications/{id}';

/**
 * Delegated writers need Application.ReadWrite.All and a role that may manage app registrations
 * (Application Administrator, Cloud Application Administrator, Global Administrator; or owning the
 * app). The emulated directory has no role assignments: as for usage reports, a user whose job title
 * names an administrator holds one.
 */
export const WRITE_PERMISSIONS = ['Application.ReadWrite.All'];

interface ScopeInput {
  id?: unknown;
  value?: unknown;
  type?: unknown;
  isEnabled?: unknown;
  adminConsentDisplayName?: unknown;
  adminConsentDescription?: unknown;
}

export class UpdateRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function roleIdOf(app: EmuApiApp, value: string): string {
  return app.roleIds?.[value.toLowerCase()] ?? derivedGuid(`role:${app.clientId}:${value}`);
}

interface RoleInput {
  id?: unknown;
  value?: unknown;
  displayName?: unknown;
  description?: unknown;
  isEnabled?: unknown;
  allowedMemberTypes?: unknown;
}

/**
 * The app roles after an update (https://learn.microsoft.com/graph/api/resources/approle): each with
 * an id (a GUID), a value, a displayName, a description, isEnabled and allowedMemberTypes (User,
 * Application); an enabled role is removed only once disabled, as for scopes. The emulator assigns
 * users only, so a role counts for users when allowedMemberTypes names User.
 */
function nextRoles(app: EmuApiApp, input: unknown): { values: string[]; ids: Record<string, string> } {
  if (!Array.isArray(input)) throw new UpdateRefused('BadRequest', 'appRoles must be an array.');
  const values: string[] = [];
  const ids: Record<string, string> = {};
  for (const raw of input as RoleInput[]) {
    const { id, value, displayName, description, isEnabled, allowedMemberTypes } = raw ?? {};
    const types = Array.isArray(allowedMemberTypes) ? (allowedMemberTypes as unknown[]) : undefined;
    if (typeof id !== 'string' || !GUID.test(id) || typeof value !== 'string' || value === '' || typeof isEnabled !== 'boolean' || typeof displayName !== 'string' || typeof description !== 'string')
      throw new UpdateRefused('BadRequest', 'Each app role needs an id (a GUID), a value, a displayName, a description and isEnabled.');
    if (types === undefined || types.length === 0 || types.some((t) => t !== 'User' && t !== 'Application'))
      throw new UpdateRefused('BadRequest', 'Each app role needs allowedMemberTypes: User, Application or both.');
    if (ids[value.toLowerCase()] !== undefined) throw new UpdateRefused('BadRequest', `The app role value '${value}' appears twice.`);
    ids[value.toLowerCase()] = id.toLowerCase();
    if (isEnabled && types.includes('User')) values.push(value);
  }
  for (const value of app.userRoleDefinitions) {
    if (!Object.values(ids).includes(roleIdOf(app, value).toLowerCase()))
      throw new UpdateRefused('CannotDeleteOrUpdateEnabledEntitlement', `Permission (scope or role) cannot be deleted or updated unless disabled first: '${value}'.`);
  }
  return { values, ids };
}

function scopeIdOf(app: EmuApiApp, value: string): string {
  return app.scopeIds?.[value.toLowerCase()] ?? derivedGuid(`scope:${app.clientId}:${value.toLowerCase()}`);
}

/** The scopes after an update: each fully described, an enabled one removed only once disabled (application-update). */
function nextScopes(app: EmuApiApp, input: unknown): { values: string[]; ids: Record<string, string> } {
  if (!Array.isArray(input)) throw new UpdateRefused('BadRequest', 'api.oauth2PermissionScopes must be an array.');
  const values: string[] = [];
  const ids: Record<string, string> = {};
  for (const raw of input as ScopeInput[]) {
    const { id, value, type, isEnabled, adminConsentDisplayName, adminConsentDescription } = raw ?? {};
    if (typeof id !== 'string' || !GUID.test(id) || typeof value !== 'string' || value === '' || (type !== 'User' && type !== 'Admin') || typeof isEnabled !== 'boolean')
      throw new UpdateRefused('BadRequest', 'Each permission scope needs an id (a GUID), a value, a type (User or Admin) and isEnabled.');
    if (typeof adminConsentDisplayName !== 'string' || typeof adminConsentDescription !== 'string')
      throw new UpdateRefused('BadRequest', 'Each permission scope needs adminConsentDisplayName and adminConsentDescription.');
    if (ids[value.toLowerCase()] !== undefined) throw new UpdateRefused('BadRequest', `The permission scope value '${value}' appears twice.`);
    ids[value.toLowerCase()] = id.toLowerCase();
    if (isEnabled) values.push(value);
  }
  for (const value of app.exposedScopes) {
    const id = scopeIdOf(app, value);
    const kept = Object.entries(ids).find(([, v]) => v === id.toLowerCase());
    if (kept === undefined)
      throw new UpdateRefused('CannotDeleteOrUpdateEnabledEntitlement', `Permission (scope or role) cannot be deleted or updated unless disabled first: '${value}'.`);
  }
  return { values, ids };
}

/** `requiredResourceAccess`: [{ resourceAppId, resourceAccess: [{ id, type: Scope|Role }] }] (resources/requiredresourceaccess). */
export function requiredResourceAccess(raw: unknown): unknown[] {
  const ok =
    Array.isArray(raw) &&
    raw.every(
      (r: { resourceAppId?: unknown; resourceAccess?: unknown }) =>
        typeof r?.resourceAppId === 'string' &&
        Array.isArray(r.resourceAccess) &&
        (r.resourceAccess as { id?: unknown; type?: unknown }[]).every((a) => typeof a?.id === 'string' && GUID.test(a.id) && (a.type === 'Scope' || a.type === 'Role')),
    );
  if (!ok) throw new UpdateRefused('BadRequest', 'requiredResourceAccess is a list of { resourceAppId, resourceAccess: [{ id (a GUID), type: Scope or Role }] }.');
  return structuredClone(raw as unknown[]);
}

export function applyUpdate(app: EmuApiApp, body: Record<string, unknown>): void {
  const known = ['identifierUris', 'api', 'requiredResourceAccess', 'appRoles'];
  const other = Object.keys(body).find((k) => !known.includes(k));
  if (other !== undefined) throw new UpdateRefused('BadRequest', `The emulator models only identifierUris, api, appRoles and requiredResourceAccess of a web API; '${other}' is not one of them.`);
  const next: Partial<ServerRegistration> = {};
  // Checked now, applied with the rest once everything was accepted.
  const roles = body['appRoles'] === undefined ? undefined : nextRoles(app, body['appRoles']);
  if (body['requiredResourceAccess'] !== undefined) app.requiredResourceAccess = requiredResourceAccess(body['requiredResourceAccess']);
  if (body['identifierUris'] !== undefined) {
    const uris = body['identifierUris'];
    if (!Array.isArray(uris) || uris.some((u) => typeof u !== 'string')) throw new UpdateRefused('BadRequest', 'identifierUris must be an array of strings.');
    next.identifierUris = uris as string[];
  }
  const api = body['api'] as Record<string, unknown> | undefined;
  let scopeIds = app.scopeIds;
  let exposed = app.exposedScopes;
  if (api !== undefined) {
    if (api === null || typeof api !== 'object') throw new UpdateRefused('BadRequest', 'api must be an object.');
    const version = api['requestedAccessTokenVersion'];
    if (version !== undefined) {
      // null is Entra's default, v1.0 tokens.
      if (version !== null && version !== 1 && version !== 2) throw new UpdateRefused('BadRequest', 'api.requestedAccessTokenVersion must be 1, 2 or null.');
      next.requestedAccessTokenVersion = version === 2 ? 2 : 1;
    }
    if (api['oauth2PermissionScopes'] !== undefined) {
      const scopes = nextScopes(app, api['oauth2PermissionScopes']);
      exposed = scopes.values;
      scopeIds = scopes.ids;
      next.exposedScopes = exposed;
      next.scopeIds = scopeIds;
    }
    const pre = api['preAuthorizedApplications'];
    if (pre !== undefined) {
      if (!Array.isArray(pre)) throw new UpdateRefused('BadRequest', 'api.preAuthorizedApplications must be an array.');
      const known = new Set(exposed.map((v) => (scopeIds?.[v.toLowerCase()] ?? derivedGuid(`scope:${app.clientId}:${v.toLowerCase()}`)).toLowerCase()));
      const clients: string[] = [];
      for (const entry of pre as { appId?: unknown; delegatedPermissionIds?: unknown }[]) {
        if (typeof entry?.appId !== 'string' || !GUID.test(entry.appId) || !Array.isArray(entry.delegatedPermissionIds))
          throw new UpdateRefused('BadRequest', 'Each preAuthorizedApplications entry needs an appId (a GUID) and delegatedPermissionIds.');
        const unknown = (entry.delegatedPermissionIds as unknown[]).find((id) => typeof id !== 'string' || !known.has(id.toLowerCase()));
        if (unknown !== undefined) throw new UpdateRefused('BadRequest', `Property PreAuthorizedApplication references permission '${String(unknown)}', which is not an enabled permission scope of this application.`);
        clients.push(entry.appId);
      }
      next.preAuthorizedClientIds = clients;
    }
  }
  try {
    updateRegistration(app, next);
  } catch (err) {
    if (err instanceof RegistrationError) throw new UpdateRefused('BadRequest', `Failed to update the application: ${err.message}`);
    throw err;
  }
  if (roles !== undefined) {
    // Users keep the roles that still exist (an assignment to a removed role no longer counts).
    const kept = new Set(roles.values.map((v) => v.toLowerCase()));
    app.userRoles = Object.fromEntries(Object.entries(app.userRoles).map(([user, held]) => [user, held.filter((r) => kept.has(r.toLowerCase()))]));
    app.userRoleDefinitions = roles.values;
    app.roleIds = roles.ids;
  }
}

/** A client app (the public client, the export app): the emulator models its requiredResourceAccess only. */
function updateClientApp(app: EmuApp, body: unknown, reply: ReturnType<typeof replyFor>): GraphResponse {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return reply.error(400, 'BadRequest', 'The request body must be a JSON object.');
  const other = Object.keys(body).find((k) => k !== 'requiredResourceAccess');
  if (other !== undefined) return reply.error(400, 'BadRequest', `The emulator models only requiredResourceAccess of a client app; '${other}' is not it.`);
  try {
    const access = (body as Record<string, unknown>)['requiredResourceAccess'];
    if (access !== undefined) app.requiredResourceAccess = requiredResourceAccess(access);
  } catch (err) {
    if (err instanceof UpdateRefused) return reply.error(400, err.code, err.message);
    throw err;
  }
  return { status: 204, route: APPLICATION_UPDATE_ROUTE, body: undefined };
}

export const applicationUpdateHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, APPLICATION_UPDATE_ROUTE);
  if (!administers(req.caller, WRITE_PERMISSIONS, ctx.usersById))
    return reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  const key = (params['id'] ?? params['appId'] ?? '').toLowerCase();
  const app = managedApps(ctx.tenant).find((a) => (params['appId'] !== undefined ? a.clientId.toLowerCase() === key : applicationObjectId(ctx.tenant.id, a.clientId) === key));
  if (app === undefined) return reply.error(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
  const server = ctx.tenant.apps.mcpServer;
  if (app !== server || server === undefined) return updateClientApp(app, req.body, reply);
  if (req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) return reply.error(400, 'BadRequest', 'The request body must be a JSON object.');
  try {
    applyUpdate(server, req.body as Record<string, unknown>);
  } catch (err) {
    if (err instanceof UpdateRefused) return reply.error(400, err.code, err.message);
    throw err;
  }
  return { status: 204, route: APPLICATION_UPDATE_ROUTE, body: undefined };
};
