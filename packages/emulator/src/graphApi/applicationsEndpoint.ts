import type { EmuApiApp } from '../model.js';
import { derivedGuid } from '../identity/tokens.js';
import { hasAnyRole, hasAnyScope } from './callerPermissions.js';
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
  const scopeId = (value: string) => derivedGuid(`scope:${app.clientId}:${value.toLowerCase()}`);
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
    appRoles: app.userRoleDefinitions.map((value) => ({ id: derivedGuid(`role:${app.clientId}:${value}`), value, displayName: value, isEnabled: true, allowedMemberTypes: ['User'] })),
  };
}

export const applicationHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, APPLICATION_ROUTE);
  if (!hasAnyRole(req.caller, PERMISSIONS) && !hasAnyScope(req.caller, PERMISSIONS))
    return reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  const appId = (params['appId'] ?? '').toLowerCase();
  const app = ctx.tenant.apps.mcpServer;
  if (app === undefined || app.clientId.toLowerCase() !== appId)
    return reply.error(404, 'Request_ResourceNotFound', `Resource '${params['appId'] ?? ''}' does not exist or one of its queried reference-property objects are not present.`);
  return reply.ok({ '@odata.context': `${req.baseUrl}/${req.version}/$metadata#applications/$entity`, ...applicationResource(ctx.tenant.id, app) });
};
