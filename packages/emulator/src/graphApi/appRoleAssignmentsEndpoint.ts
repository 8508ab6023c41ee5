import type { EmuApp, GraphRequest, Tenant } from '../model.js';
import { derivedGuid } from '../identity/tokens.js';
import { GRAPH_APP_ID } from '../identity/scopeGrants.js';
import { administers, hasAnyRole, hasAnyScope } from './callerPermissions.js';
import { replyFor } from './graphErrorReplies.js';
import type { RouteContext, RouteHandler } from './routeContext.js';
import { managedApps, roleIdOf } from './applicationsEndpoint.js';
import { userById } from './routeContext.js';

/**
 * Application permissions granted by app role assignments, as `setup --export-app` grants Microsoft
 * Graph's AiEnterpriseInteraction.Read.All and User.Read.All to the export app. A granted role is
 * what client-credentials tokens of that app carry in `roles` (EmuApp.appRoles), so an assignment
 * made here decides the export app's tokens. The emulator's only resource with application
 * permissions is Microsoft Graph.
 */
export const APP_ROLE_ASSIGNMENT_CREATE_ROUTE = 'POST /servicePrincipals/{id}/appRoleAssignments';
export const APP_ROLE_ASSIGNMENT_LIST_ROUTE = 'GET /servicePrincipals/{id}/appRoleAssignments';
export const USER_APP_ROLE_ASSIGNMENT_CREATE_ROUTE = 'POST /users/{id}/appRoleAssignments';

/**
 * Microsoft Graph's application permissions the emulator publishes (its service principal's
 * `appRoles`, https://learn.microsoft.com/graph/api/resources/serviceprincipal): those the export
 * and doctor use. Ids derived from the names, as for the delegated ones: read them, never hard-code them.
 */
export const GRAPH_APPLICATION_PERMISSIONS = ['AiEnterpriseInteraction.Read.All', 'User.Read.All', 'Application.Read.All', 'OnlineMeetingAiInsight.Read.All'];

export const graphAppRoleId = (value: string) => derivedGuid(`graph-role:${value.toLowerCase()}`);

export function graphAppRoles(): Record<string, unknown>[] {
  return GRAPH_APPLICATION_PERMISSIONS.map((value) => ({ id: graphAppRoleId(value), value, displayName: value, description: value, isEnabled: true, allowedMemberTypes: ['Application'] }));
}

const servicePrincipalId = (tenantId: string, appId: string) => derivedGuid(`sp:${tenantId}:${appId.toLowerCase()}`);

/** The client service principal `id` names, if it is one of the managed apps' and exists. */
function clientOf(tenant: Tenant, id: string): EmuApp | undefined {
  return managedApps(tenant).find((app) => app.servicePrincipal !== false && servicePrincipalId(tenant.id, app.clientId) === id.toLowerCase());
}

function assignmentOf(tenant: Tenant, app: EmuApp, role: string, now: number): Record<string, unknown> {
  const principalId = servicePrincipalId(tenant.id, app.clientId);
  return {
    id: derivedGuid(`app-role-assignment:${principalId}:${role.toLowerCase()}`),
    appRoleId: graphAppRoleId(role),
    createdDateTime: new Date(now).toISOString(),
    deletedDateTime: null,
    principalDisplayName: app.displayName,
    principalId,
    principalType: 'ServicePrincipal',
    resourceDisplayName: 'Microsoft Graph',
    resourceId: servicePrincipalId(tenant.id, GRAPH_APP_ID),
  };
}

const denied = (reply: ReturnType<typeof replyFor>) => reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
const notFound = (reply: ReturnType<typeof replyFor>, id: string) =>
  reply.error(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);

/**
 * Delegated or application: AppRoleAssignment.ReadWrite.All together with Application.Read.All
 * (least privileged) or Directory.Read.All, the two pairs the docs' permission table lists. A
 * delegated caller also needs an administrator role (the docs list Application Administrator, Cloud
 * Application Administrator, Privileged Role Administrator and others); as elsewhere in the
 * emulator, a job title naming an administrator stands for one.
 */
function mayAssign(req: GraphRequest, ctx: RouteContext): boolean {
  return administers(req.caller, ['AppRoleAssignment.ReadWrite.All'], ctx.usersById) && administers(req.caller, ['Application.Read.All', 'Directory.Read.All'], ctx.usersById);
}

/**
 * `POST /servicePrincipals/{id}/appRoleAssignments`
 * (https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignments): `{id}` is the
 * client service principal; the body's principalId (that same client), resourceId (the resource's
 * service principal, Microsoft Graph here) and appRoleId (one of the resource's appRoles) are
 * required; 201 with the appRoleAssignment. Assigning a role the client holds already is refused
 * as Entra refuses it (400, "Permission being assigned already exists on the object").
 */
export const appRoleAssignmentCreateHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, APP_ROLE_ASSIGNMENT_CREATE_ROUTE);
  if (!mayAssign(req, ctx)) return denied(reply);
  const id = params['id'] ?? '';
  const client = clientOf(ctx.tenant, id);
  if (client === undefined) return notFound(reply, id);
  const body = (req.body !== null && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
  const { principalId, resourceId, appRoleId } = body;
  if (typeof principalId !== 'string' || typeof resourceId !== 'string' || typeof appRoleId !== 'string')
    return reply.error(400, 'Request_BadRequest', 'principalId, resourceId and appRoleId are required.');
  if (principalId.toLowerCase() !== id.toLowerCase()) return reply.error(400, 'Request_BadRequest', 'principalId must be the service principal the assignment is created on.');
  if (resourceId.toLowerCase() !== servicePrincipalId(ctx.tenant.id, GRAPH_APP_ID))
    return reply.error(400, 'Request_BadRequest', "The emulator's only resource with application permissions is Microsoft Graph's service principal (resourceId).");
  const role = GRAPH_APPLICATION_PERMISSIONS.find((value) => graphAppRoleId(value) === appRoleId.toLowerCase());
  if (role === undefined) return reply.error(400, 'Request_BadRequest', `Permission being assigned was not found on application '${GRAPH_APP_ID}' (appRoleId ${appRoleId}).`);
  if (client.appRoles.some((r) => r.toLowerCase() === role.toLowerCase())) return reply.error(400, 'Request_BadRequest', 'Permission being assigned already exists on the object');
  client.appRoles.push(role);
  return { status: 201, route: APP_ROLE_ASSIGNMENT_CREATE_ROUTE, body: { '@odata.context': `${req.baseUrl}/${req.version}/$metadata#appRoleAssignments/$entity`, ...assignmentOf(ctx.tenant, client, role, ctx.clock()) } };
};

/**
 * `GET /servicePrincipals/{id}/appRoleAssignments`
 * (https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignments): least privileged
 * Application.Read.All; also Application.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All
 * (delegated or application). The application permissions granted to that client.
 */
export const appRoleAssignmentListHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, APP_ROLE_ASSIGNMENT_LIST_ROUTE);
  const read = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
  if (!hasAnyRole(req.caller, read) && !hasAnyScope(req.caller, read)) return denied(reply);
  const id = params['id'] ?? '';
  const client = clientOf(ctx.tenant, id);
  if (client === undefined) return notFound(reply, id);
  const granted = GRAPH_APPLICATION_PERMISSIONS.filter((value) => client.appRoles.some((r) => r.toLowerCase() === value.toLowerCase()));
  return reply.ok({ '@odata.context': `${req.baseUrl}/${req.version}/$metadata#servicePrincipals('${id}')/appRoleAssignments`, value: granted.map((role) => assignmentOf(ctx.tenant, client, role, ctx.clock())) });
};

/**
 * `POST /users/{id | userPrincipalName}/appRoleAssignments`
 * (https://learn.microsoft.com/graph/api/user-post-approleassignments): assigns a user an app role
 * of a resource's service principal, here the MCP server app's (its export role: setup defines the
 * role and leaves assigning it to an administrator). AppRoleAssignment.ReadWrite.All, delegated
 * (with an administrator role, as above) or application; body principalId (the user), resourceId,
 * appRoleId. The role is in the `roles` claim of the user's next tokens for the server.
 */
export const userAppRoleAssignmentCreateHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, USER_APP_ROLE_ASSIGNMENT_CREATE_ROUTE);
  if (!administers(req.caller, ['AppRoleAssignment.ReadWrite.All'], ctx.usersById)) return denied(reply);
  const key = params['id'] ?? '';
  const user = userById(ctx, key) ?? ctx.tenant.users.find((u) => u.upn.toLowerCase() === key.toLowerCase());
  if (user === undefined) return notFound(reply, key);
  const body = (req.body !== null && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
  const { principalId, resourceId, appRoleId } = body;
  if (typeof principalId !== 'string' || typeof resourceId !== 'string' || typeof appRoleId !== 'string')
    return reply.error(400, 'Request_BadRequest', 'principalId, resourceId and appRoleId are required.');
  if (principalId.toLowerCase() !== user.id.toLowerCase()) return reply.error(400, 'Request_BadRequest', 'principalId must be the id of the user the assignment is created on.');
  const server = ctx.tenant.apps.mcpServer;
  if (server === undefined || server.registered === false || server.servicePrincipal === false || resourceId.toLowerCase() !== servicePrincipalId(ctx.tenant.id, server.clientId))
    return reply.error(400, 'Request_BadRequest', "The emulator assigns users the app roles of the MCP server app's service principal only (resourceId).");
  const role = server.userRoleDefinitions.find((value) => roleIdOf(server, value).toLowerCase() === appRoleId.toLowerCase());
  if (role === undefined) return reply.error(400, 'Request_BadRequest', `Permission being assigned was not found on application '${server.clientId}' (appRoleId ${appRoleId}).`);
  const held = (server.userRoles[user.id] ??= []);
  if (held.some((r) => r.toLowerCase() === role.toLowerCase())) return reply.error(400, 'Request_BadRequest', 'Permission being assigned already exists on the object');
  held.push(role);
  return {
    status: 201,
    route: USER_APP_ROLE_ASSIGNMENT_CREATE_ROUTE,
    body: {
      '@odata.context': `${req.baseUrl}/${req.version}/$metadata#appRoleAssignments/$entity`,
      id: derivedGuid(`app-role-assignment:${user.id}:${role.toLowerCase()}`),
      appRoleId: appRoleId.toLowerCase(),
      createdDateTime: new Date(ctx.clock()).toISOString(),
      deletedDateTime: null,
      principalDisplayName: user.displayName,
      principalId: user.id,
      principalType: 'User',
      resourceDisplayName: server.displayName,
      resourceId: resourceId.toLowerCase(),
    },
  };
};
