import type { EmuApp, GraphRequest, Tenant } from '../model.js';
import { derivedGuid } from '../identity/tokens.js';
import { GRAPH_APP_ID } from '../identity/scopeGrants.js';
import { updateRegistration } from '../identity/serverRegistration.js';
import { administers, hasAnyRole, hasAnyScope } from './callerPermissions.js';
import { replyFor } from './graphErrorReplies.js';
import type { RouteContext, RouteHandler } from './routeContext.js';
import { managedApps } from './applicationsEndpoint.js';
import { PUBLIC_CLIENT_SCOPES } from '../data/apps.js';
import { GRAPH_CLI_APP } from '../identity/firstPartyApps.js';
import { graphAppRoles } from './appRoleAssignmentsEndpoint.js';

/**
 * Service principals and delegated permission grants, as `setup` needs them: which Graph permissions
 * an administrator consented to, for all users, for the server app (the client of on-behalf-of) and
 * the public client (stdio) (https://learn.microsoft.com/graph/api/resources/oauth2permissiongrant).
 * The emulator knows their service principals and Microsoft Graph's, and one grant from each app to
 * Graph, whose `scope` is that app's admin-consented Graph permissions.
 */
export const SERVICE_PRINCIPAL_ROUTE = "GET /servicePrincipals(appId='{appId}')";
export const GRANTS_ROUTE = 'GET /oauth2PermissionGrants';
export const GRANT_CREATE_ROUTE = 'POST /oauth2PermissionGrants';
export const GRANT_UPDATE_ROUTE = 'PATCH /oauth2PermissionGrants/{id}';

const READ = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'DelegatedPermissionGrant.ReadWrite.All'];
// oauth2permissiongrant-post / -update: DelegatedPermissionGrant.ReadWrite.All, and an administrator.
const WRITE = ['DelegatedPermissionGrant.ReadWrite.All'];

const servicePrincipalId = (tenantId: string, appId: string) => derivedGuid(`sp:${tenantId}:${appId.toLowerCase()}`);

/** The apps that hold delegated Graph permissions: the public client and the server app, once they have a service principal. */
function grantingApps(tenant: Tenant): EmuApp[] {
  return managedApps(tenant).filter((app) => app.servicePrincipal !== false);
}

export function servicePrincipalOf(tenant: Tenant, app: EmuApp): Record<string, unknown> {
  return { id: servicePrincipalId(tenant.id, app.clientId), appId: app.clientId, displayName: app.displayName };
}

/**
 * Microsoft Graph's service principal, with the delegated permissions it publishes
 * (`oauth2PermissionScopes`, https://learn.microsoft.com/graph/api/resources/serviceprincipal): setup
 * reads their ids for `requiredResourceAccess`, and those of its application permissions (`appRoles`). The emulator derives the ids from the names; they are
 * not Microsoft's, which is why clients must read them rather than hard-code them.
 */
function graphServicePrincipal(tenant: Tenant): Record<string, unknown> {
  return {
    id: servicePrincipalId(tenant.id, GRAPH_APP_ID),
    appId: GRAPH_APP_ID,
    displayName: 'Microsoft Graph',
    oauth2PermissionScopes: GRAPH_DELEGATED_PERMISSIONS.map((value) => ({ id: derivedGuid(`graph-scope:${value.toLowerCase()}`), value, type: 'User', isEnabled: true })),
    // Its application permissions, which app role assignments grant (setup --export-app).
    appRoles: graphAppRoles(),
  };
}

// What the tools, sign-in (openid, profile, offline_access: Graph publishes them too) and setup ask for.
const GRAPH_DELEGATED_PERMISSIONS = [...new Set([...PUBLIC_CLIENT_SCOPES, ...GRAPH_CLI_APP.delegatedScopes, 'AiEnterpriseInteraction.Read', 'User.Read.All', 'email'])];

function servicePrincipals(tenant: Tenant): Record<string, unknown>[] {
  return [graphServicePrincipal(tenant), ...grantingApps(tenant).map((app) => servicePrincipalOf(tenant, app))];
}

function grantOf(tenant: Tenant, server: EmuApp): Record<string, unknown> {
  return {
    id: derivedGuid(`grant:${tenant.id}:${server.clientId}`),
    clientId: servicePrincipalId(tenant.id, server.clientId),
    consentType: 'AllPrincipals',
    principalId: null,
    resourceId: servicePrincipalId(tenant.id, GRAPH_APP_ID),
    scope: server.delegatedScopes.join(' '),
  };
}

/** The server app's consent is registration data (a session restores it); the public client's is restored apart. */
function setConsented(tenant: Tenant, app: EmuApp, scopes: string[]): void {
  if (app === tenant.apps.mcpServer) updateRegistration(tenant.apps.mcpServer, { delegatedScopes: scopes });
  else app.delegatedScopes = [...scopes];
}

function mayWrite(req: GraphRequest, ctx: RouteContext): boolean {
  return administers(req.caller, WRITE, ctx.usersById);
}

const mayRead = (req: GraphRequest) => hasAnyRole(req.caller, READ) || hasAnyScope(req.caller, READ);

function scopeNames(raw: unknown): string[] | undefined {
  return typeof raw === 'string' ? raw.split(' ').filter((s) => s.length > 0) : undefined;
}

export const servicePrincipalHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, SERVICE_PRINCIPAL_ROUTE);
  if (!mayRead(req)) return reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  const sp = servicePrincipals(ctx.tenant).find((s) => String(s['appId']).toLowerCase() === (params['appId'] ?? '').toLowerCase());
  if (!sp) return reply.error(404, 'Request_ResourceNotFound', `Resource '${params['appId'] ?? ''}' does not exist or one of its queried reference-property objects are not present.`);
  return reply.ok({ '@odata.context': `${req.baseUrl}/${req.version}/$metadata#servicePrincipals/$entity`, ...sp });
};

/** `$filter=clientId eq '{id}'` (optionally `and resourceId eq '{id}'`): the filters Graph documents for this list. */
export const grantsHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, GRANTS_ROUTE);
  if (!mayRead(req)) return reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  const filter = req.query.get('$filter') ?? '';
  const clientId = /clientId eq '([^']+)'/i.exec(filter)?.[1]?.toLowerCase();
  const resourceId = /resourceId eq '([^']+)'/i.exec(filter)?.[1]?.toLowerCase();
  const grants = grantingApps(ctx.tenant).filter((app) => app.delegatedScopes.length > 0).map((app) => grantOf(ctx.tenant, app));
  const value = grants.filter((g) => (clientId === undefined || g['clientId'] === clientId) && (resourceId === undefined || g['resourceId'] === resourceId));
  return reply.ok({ '@odata.context': `${req.baseUrl}/${req.version}/$metadata#oauth2PermissionGrants`, value });
};

export const grantCreateHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, GRANT_CREATE_ROUTE);
  if (!mayWrite(req, ctx)) return reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  const body = (req.body ?? {}) as Record<string, unknown>;
  const scopes = scopeNames(body['scope']);
  const server = grantingApps(ctx.tenant).find((app) => body['clientId'] === servicePrincipalId(ctx.tenant.id, app.clientId));
  if (!server || body['resourceId'] !== servicePrincipalId(ctx.tenant.id, GRAPH_APP_ID))
    return reply.error(400, 'Request_BadRequest', "The emulator grants delegated Graph permissions to the public client's or the MCP server app's service principal only (clientId, resourceId).");
  if (body['consentType'] !== 'AllPrincipals' || scopes === undefined) return reply.error(400, 'Request_BadRequest', "consentType 'AllPrincipals' and a space-separated scope are required.");
  if (server.delegatedScopes.length > 0) return reply.error(409, 'Request_MultipleObjectsWithSameKeyValue', 'A permission grant for this client and resource already exists; update it instead.');
  setConsented(ctx.tenant, server, scopes);
  return { status: 201, route: GRANT_CREATE_ROUTE, body: { '@odata.context': `${req.baseUrl}/${req.version}/$metadata#oauth2PermissionGrants/$entity`, ...grantOf(ctx.tenant, server) } };
};

export const grantUpdateHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, GRANT_UPDATE_ROUTE);
  if (!mayWrite(req, ctx)) return reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  const server = grantingApps(ctx.tenant).find((app) => app.delegatedScopes.length > 0 && (params['id'] ?? '') === grantOf(ctx.tenant, app)['id']);
  if (!server)
    return reply.error(404, 'Request_ResourceNotFound', `Resource '${params['id'] ?? ''}' does not exist or one of its queried reference-property objects are not present.`);
  const scopes = scopeNames((req.body as Record<string, unknown> | undefined)?.['scope']);
  if (scopes === undefined) return reply.error(400, 'Request_BadRequest', 'scope (space-separated permission names) is the property to update.');
  setConsented(ctx.tenant, server, scopes);
  return { status: 204, route: GRANT_UPDATE_ROUTE, body: undefined };
};
