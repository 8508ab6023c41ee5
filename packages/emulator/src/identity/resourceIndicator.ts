import type { Tenant } from '../model.js';
import { apiApp } from './apiTokens.js';
import { OAuthError } from './oauthError.js';
import { GRAPH_APP_ID, type GrantedScopes } from './scopeGrants.js';

/**
 * The RFC 8707 `resource` parameter, which MCP clients send in the authorization and token requests
 * (the protected resource's URL from its RFC 9728 metadata). Entra's v2.0 endpoint accepts it only
 * when it names the app whose scope is requested, by one of that app's identifier URIs, compared
 * exactly apart from case: `https://mcp.contoso.com/mcp/` is not `https://mcp.contoso.com/mcp`.
 * Otherwise it answers AADSTS9010010 ("The resource parameter provided in the request doesn't match
 * with the requested scopes"), as reported from the field in anthropics/claude-code #73460 and
 * #52871 (trailing slash), microsoft/azure-devops-mcp #1601 and microsoft/powerbi-modeling-mcp #68;
 * the workaround that works there (anomalyco/opencode #12308) is to add that exact string to the
 * app's identifierUris. The app id itself names the app too.
 */
export function checkResourceIndicator(resources: readonly string[], granted: GrantedScopes, tenant: Tenant, graphResource: string): void {
  if (resources.length === 0) return;
  const names = resourceNames(granted, tenant, graphResource).map((n) => n.toLowerCase());
  for (const resource of resources) {
    if (!names.includes(resource.toLowerCase())) {
      throw new OAuthError(400, 'invalid_target', 9010010, "The resource parameter provided in the request doesn't match with the requested scopes.");
    }
  }
}

/** Every string that names the resource the request's scopes belong to. */
function resourceNames(granted: GrantedScopes, tenant: Tenant, graphResource: string): string[] {
  if (granted.api !== undefined) {
    const api = apiApp(tenant, granted.api.clientId);
    return [granted.api.clientId, ...(api?.identifierUris ?? [])];
  }
  // Only OpenID scopes name no resource: Entra then issues a Graph token (User.Read).
  return [graphResource, GRAPH_APP_ID];
}
