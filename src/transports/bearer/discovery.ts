import type { NetworkClient } from '../../auth/networkClient.js';
import type { Logger } from '../../log.js';

/**
 * The JWKS url from the tenant's OpenID metadata. Entra signs every tenant's tokens with the same
 * keys, so the home tenant's (or `organizations`') document serves all allowed tenants. When the
 * authority is unreachable at start, the well-known path is used and /readyz reports the keys.
 */
export async function discoverJwksUri(network: NetworkClient, authorityHost: string, tenantId: string, log: Logger): Promise<string> {
  const base = `${authorityHost.replace(/\/+$/, '')}/${tenantId}`;
  const fallback = `${base}/discovery/v2.0/keys`;
  try {
    const answer = await network.sendGetRequestAsync<{ jwks_uri?: unknown }>(`${base}/v2.0/.well-known/openid-configuration`);
    const uri = answer.body?.jwks_uri;
    if (answer.status === 200 && typeof uri === 'string' && uri.startsWith('https://')) return uri;
    log.warn('OpenID metadata has no usable jwks_uri; using the well-known path', { status: answer.status });
  } catch (err) {
    log.warn('OpenID metadata unreachable at start; using the well-known JWKS path', { error: err });
  }
  return fallback;
}
