import { getOAuthProtectedResourceMetadataUrl, type AuthMetadataOptions } from '@modelcontextprotocol/server';

/**
 * The discovery documents of this resource server (RFC 9728), naming Entra (or the emulator) as the
 * authorization server, and the mirrored authorization-server metadata (RFC 8414) that 2025-era
 * clients probe at the resource origin.
 */
export interface AuthMetadataInput {
  /** The MCP endpoint as clients reach it, e.g. https://mcp.contoso.com/mcp */
  resourceUrl: URL;
  authorityHost: string;
  /** The tenant in authorization urls: the home tenant, or `organizations` when any tenant may call. */
  tenantForAuthorize: string;
  /** The full scope clients must request, e.g. api://<server client id>/access_as_user */
  scope: string;
}

export function authMetadataOptions(input: AuthMetadataInput): AuthMetadataOptions {
  const base = `${input.authorityHost.replace(/\/+$/, '')}/${input.tenantForAuthorize}`;
  return {
    resourceServerUrl: input.resourceUrl,
    resourceName: 'm365-copilot-mcp (Microsoft 365 Copilot APIs)',
    scopesSupported: [input.scope],
    oauthMetadata: {
      issuer: `${base}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      // A copy of Entra's metadata must say what Entra's says: it omits code_challenge_methods_supported
      // (while enforcing S256). Adding it here would describe an authorization server that is not Entra.
      token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'private_key_jwt'],
      scopes_supported: [input.scope],
    },
  };
}

export function protectedResourceMetadataUrl(resourceUrl: URL): string {
  return getOAuthProtectedResourceMetadataUrl(resourceUrl);
}

/** The full scope under an identifier URI: `https://mcp.contoso.com/mcp/access_as_user`. */
export function resourceScope(identifierUri: string, scope: string): string {
  return `${identifierUri.replace(/\/+$/, '')}/${scope}`;
}
