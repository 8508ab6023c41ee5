import type { RemoteReadyTenant } from './serverApp.js';

/**
 * A fresh tenant (`--fresh-tenant`): what `m365-copilot-mcp setup` creates is not there yet. The
 * public client and the MCP server app become unregistered places that `POST /applications` fills
 * (with a new app id then), with no service principal, no secret, no identifier URI, no exposed
 * scope, no authorized client, no app role and no admin consent. The export app stays: it is not
 * among what setup creates by default. Sign-in for setup uses the first-party Graph CLI client
 * (identity/firstPartyApps.ts), which every tenant has.
 */
export function makeFresh(tenant: RemoteReadyTenant): void {
  const { publicClient, mcpServer } = tenant.apps;
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
}
