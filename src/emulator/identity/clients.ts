import { createHash, timingSafeEqual } from 'node:crypto';
import type { EmuApp, Tenant } from '../model.js';
import { OAuthError } from './oauthError.js';

export function findApp(tenant: Tenant, clientId: string | undefined): EmuApp | undefined {
  if (clientId === undefined) return undefined;
  return [tenant.apps.publicClient, tenant.apps.exportApp].find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
}

export function requireApp(tenant: Tenant, clientId: string | undefined): EmuApp {
  if (clientId === undefined || clientId === '') {
    throw new OAuthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  }
  const app = findApp(tenant, clientId);
  if (app === undefined) {
    throw new OAuthError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.domain}'.`,
    );
  }
  return app;
}

/** Client credentials as sent in the form (client_secret_post) or an Authorization: Basic header. */
export interface PresentedClient {
  clientId: string | undefined;
  clientSecret: string | undefined;
}

export function presentedClient(form: URLSearchParams, authorization: string | undefined): PresentedClient {
  const basic = /^Basic\s+(.+)$/i.exec(authorization ?? '');
  if (basic?.[1] !== undefined) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon)),
        clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
      };
    }
  }
  return { clientId: form.get('client_id') ?? undefined, clientSecret: form.get('client_secret') ?? undefined };
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time regardless of the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Confidential apps must prove their secret on every grant; public apps carry none.
 * Certificate assertions are not emulated: a client sending one hears that a secret is missing.
 */
export function authenticateConfidential(app: EmuApp, presented: PresentedClient): void {
  if (presented.clientSecret === undefined || presented.clientSecret === '') {
    throw new OAuthError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (app.clientSecret === undefined || !sameSecret(presented.clientSecret, app.clientSecret)) {
    throw new OAuthError(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
    );
  }
}
