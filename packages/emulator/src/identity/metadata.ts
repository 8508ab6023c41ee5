import { v2Issuer } from './tokens.js';

/**
 * OpenID provider metadata as Entra's v2 endpoint publishes it. MSAL reads token_endpoint and
 * derives the device code endpoint by replacing "/token" with "/devicecode" in it.
 */
export function openIdConfiguration(authorityHost: string, tenantId: string, graphHost: string): Record<string, unknown> {
  const base = `${authorityHost}/${tenantId}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    // No code_challenge_methods_supported: Entra's v2.0 document does not publish it, although Entra
    // supports S256 (v2-oauth2-auth-code-flow); the emulator still requires S256 for every code. A
    // client that refuses an authorization server without it (as RFC 8414 lets it) refuses Entra too.
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: v2Issuer(authorityHost, tenantId),
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${graphHost}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'name', 'preferred_username', 'oid', 'tid', 'ver', 'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: null,
    cloud_instance_name: 'm365-copilot-emulator.invalid',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: graphHost.replace(/^https?:\/\//, ''),
    rbac_url: 'https://pas.windows.net',
  };
}

/** The answer of Entra's instance discovery, describing this single-host "cloud". */
export function instanceDiscovery(authorityHost: string, tenantId: string): Record<string, unknown> {
  const hostAndPort = authorityHost.replace(/^https:\/\//, '');
  return {
    tenant_discovery_endpoint: `${authorityHost}/${tenantId}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: hostAndPort, preferred_cache: hostAndPort, aliases: [hostAndPort] }],
  };
}
