import type { RemoteReadyTenant } from './serverApp.js';

/**
 * A fresh tenant (`--fresh-tenant`): what `m365-copilot-mcp setup` creates is not there yet. The
 * public client and the MCP server app become unregistered places that `POST /applications` fills
 * (with a new app id then), with no service principal, no secret, no identifier URI, no exposed
 * scope, no authorized client, no app role and no admin consent. The export app stays registered
 * (the descriptor names it, with its certificate, and `setup --export-app` finds it by that id), but
 * as a new registration would be: no client secret (the descriptor's is empty) and no application
 * permission granted, so the secret setup adds and the app role assignments it makes are what its
 * tokens depend on. (Kept rather than created: the descriptor and every emulator file name it.)
 * Sign-in for setup uses the first-party Graph CLI client (identity/firstPartyApps.ts), which every tenant has.
 */
export function makeFresh(tenant: RemoteReadyTenant): void {
  const { publicClient, exportApp, mcpServer } = tenant.apps;
  exportApp.appRoles = [];
  delete exportApp.clientSecret;
  Object.assign(publicClient, { registered: false, servicePrincipal: false, delegatedScopes: [] });
  delete publicClient.clientSecret;
  Object.assign(mcpServer, {
    registered: false,
    servicePrincipal: false,
    delegatedScopes: [],
    identifierUris: [],
    exposedScopes: [],
    preAuthorizedClientIds: [],
    userRoleDefinitions: [],
    userRoles: {},
    // Entra's default for a new registration: null, v1.0 tokens.
    requestedAccessTokenVersion: 1,
  });
  delete mcpServer.clientSecret;
  delete mcpServer.scopeIds;
  delete mcpServer.roleIds;
}
