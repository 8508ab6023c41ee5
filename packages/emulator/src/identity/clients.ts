import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { EmuApp, Tenant } from '../model.js';
import { JWT_BEARER_ASSERTION_TYPE, verifyClientAssertion, type AssertionCheck } from './clientAssertion.js';
import { GRAPH_CLI_APP } from './firstPartyApps.js';
import { OAuthError } from './oauthError.js';

/** The tenant's registered apps (a fresh tenant's not-yet-created ones left out). */
export function registeredApps(tenant: Tenant): EmuApp[] {
  const { publicClient, exportApp, mcpServer } = tenant.apps;
  return [publicClient, exportApp, ...(mcpServer === undefined ? [] : [mcpServer])].filter((a) => a.registered !== false);
}

/** `extra`: clients known this session beyond the registrations (accepted client metadata documents). */
export function findApp(tenant: Tenant, clientId: string | undefined, extra: readonly EmuApp[] = []): EmuApp | undefined {
  if (clientId === undefined) return undefined;
  const apps: EmuApp[] = [...registeredApps(tenant), GRAPH_CLI_APP, ...extra];
  return apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
}

export function requireApp(tenant: Tenant, clientId: string | undefined, extra: readonly EmuApp[] = []): EmuApp {
  if (clientId === undefined || clientId === '') {
    throw new OAuthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  }
  const app = findApp(tenant, clientId, extra);
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

/** Client credentials as sent: client_secret_post, Authorization: Basic, or a client assertion. */
export interface PresentedClient {
  clientId: string | undefined;
  clientSecret: string | undefined;
  assertionType?: string | undefined;
  assertion?: string | undefined;
}

export type ClientAuthMethod = 'secret' | 'assertion' | 'none';

export function clientAuthMethod(client: PresentedClient): ClientAuthMethod {
  if (client.assertion !== undefined && client.assertion !== '') return 'assertion';
  return client.clientSecret !== undefined && client.clientSecret !== '' ? 'secret' : 'none';
}

// RFC 7521 lets an assertion stand in for client_id; its (unverified) subject only picks the app to check.
function assertionSubject(assertion: string): string | undefined {
  try {
    const { sub } = decodeJwt(assertion);
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

export function presentedClient(form: URLSearchParams, authorization: string | undefined): PresentedClient {
  const assertion = form.get('client_assertion') ?? undefined;
  const assertionType = form.get('client_assertion_type') ?? undefined;
  const basic = /^Basic\s+(.+)$/i.exec(authorization ?? '');
  if (basic?.[1] !== undefined) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon)),
        clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
        assertion,
        assertionType,
      };
    }
  }
  const formClientId = form.get('client_id') ?? undefined;
  return {
    clientId: formClientId ?? (assertion === undefined ? undefined : assertionSubject(assertion)),
    clientSecret: form.get('client_secret') ?? undefined,
    assertion,
    assertionType,
  };
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time regardless of the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** What checking a client assertion needs beyond the app: its certificates and the endpoint. */
export type AssertionContext = Omit<AssertionCheck, 'clientId'>;

function invalidClient(aadsts: number, description: string): OAuthError {
  return new OAuthError(401, 'invalid_client', aadsts, description);
}

/** Confidential apps must prove a secret or a certificate on every grant; public apps carry none. */
export async function authenticateConfidential(app: EmuApp, presented: PresentedClient, assertions: AssertionContext): Promise<void> {
  const method = clientAuthMethod(presented);
  if (method === 'none') {
    throw invalidClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  if (method === 'assertion') {
    if (presented.clientSecret !== undefined && presented.clientSecret !== '') {
      throw invalidClient(7000218, 'Present one client credential, client_secret or client_assertion, not both.');
    }
    if (presented.assertionType !== JWT_BEARER_ASSERTION_TYPE) {
      throw invalidClient(7000218, `The client_assertion_type must be '${JWT_BEARER_ASSERTION_TYPE}'.`);
    }
    return verifyClientAssertion(presented.assertion ?? '', { ...assertions, clientId: app.clientId });
  }
  // Every secret the app holds is valid (Entra lets an app have several, for rotation).
  const secrets = [...(app.clientSecret === undefined ? [] : [app.clientSecret]), ...(app.passwords ?? []).map((p) => p.secretText)];
  if (!secrets.some((secret) => sameSecret(presented.clientSecret ?? '', secret))) {
    throw invalidClient(
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
    );
  }
}
