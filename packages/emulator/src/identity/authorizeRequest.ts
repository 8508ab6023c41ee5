import type { EmuApp, Tenant } from '../model.js';
import { findApp } from './clients.js';
import { OAuthError } from './oauthError.js';
import { isS256Challenge } from './pkce.js';
import { checkResourceIndicator } from './resourceIndicator.js';
import { exposedApis, resolveDelegatedScopes, type GrantedScopes } from './scopeGrants.js';

export type ResponseMode = 'query' | 'fragment' | 'form_post';

/** Where and how the answer of an authorize request goes back to the client. */
export interface ReplyTarget {
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | undefined;
}

/** A validated `/authorize` request of the authorization code flow with PKCE. */
export interface AuthorizeRequest extends ReplyTarget {
  app: EmuApp;
  granted: GrantedScopes;
  codeChallenge: string;
  nonce: string | undefined;
  loginHint: string | undefined;
  prompt: string | undefined;
}

/** Before client and redirect URI are known good, an error must not be sent anywhere: it is shown. */
export class AuthorizePageError extends Error {
  constructor(readonly error: OAuthError) {
    super(error.message);
    this.name = 'AuthorizePageError';
  }
}

/** Once they are, errors go back to the redirect URI, the way the client asked for answers. */
export class AuthorizeRedirectError extends Error {
  constructor(
    readonly error: OAuthError,
    readonly target: ReplyTarget,
  ) {
    super(error.message);
    this.name = 'AuthorizeRedirectError';
  }
}

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account', 'create']);
const RESPONSE_MODES = new Set<string>(['query', 'fragment', 'form_post']);
// Parameters that must appear at most once (RFC 6749 §3.1).
const SINGLE = ['client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'nonce', 'prompt', 'login_hint'];

/**
 * Native apps get any port on a loopback address (RFC 8252 §7.3): MSAL Node listens on a random
 * one and sends http://localhost:<port>.
 */
export function isLoopbackRedirectUri(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return (
    url.protocol === 'http:' &&
    ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) &&
    url.username === '' &&
    url.password === '' &&
    !raw.includes('#')
  );
}

function invalidRequest(aadsts: number, description: string): OAuthError {
  return new OAuthError(400, 'invalid_request', aadsts, description);
}

function optional(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  return value === null || value === '' ? undefined : value;
}

function clientAndRedirect(params: URLSearchParams, tenant: Tenant, extraApps: readonly EmuApp[]): { app: EmuApp; redirectUri: string } {
  const clientId = optional(params, 'client_id');
  if (clientId === undefined) throw new AuthorizePageError(invalidRequest(900144, "The request must contain the parameter 'client_id'."));
  const app = findApp(tenant, clientId, extraApps);
  if (app === undefined) {
    throw new AuthorizePageError(
      new OAuthError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant.domain}'.`),
    );
  }
  if (app.kind !== 'public') {
    throw new AuthorizePageError(
      new OAuthError(400, 'unauthorized_client', 500113, `No reply address is registered for application '${app.clientId}': in this emulator only the public client signs users in.`),
    );
  }
  const redirectUri = optional(params, 'redirect_uri');
  if (redirectUri === undefined) throw new AuthorizePageError(invalidRequest(900144, "The request must contain the parameter 'redirect_uri'."));
  // A client metadata document's redirect URIs match exactly (draft-ietf-oauth-client-id-metadata-document).
  if (app.redirectUris !== undefined) {
    if (!app.redirectUris.includes(redirectUri))
      throw new AuthorizePageError(invalidRequest(50011, `The redirect URI '${redirectUri}' does not match the redirect URIs of the client metadata document '${app.clientId}' (exact match).`));
    return { app, redirectUri };
  }
  if (!isLoopbackRedirectUri(redirectUri)) {
    throw new AuthorizePageError(
      invalidRequest(
        50011,
        `The redirect URI does not match the redirect URIs of application '${app.clientId}', which accepts loopback URIs only: ` +
          'http://localhost[:port][/path] or http://127.0.0.1[:port][/path], any port (RFC 8252).',
      ),
    );
  }
  return { app, redirectUri };
}

function pkceChallenge(params: URLSearchParams): string {
  const challenge = optional(params, 'code_challenge');
  const method = optional(params, 'code_challenge_method');
  if (challenge === undefined) {
    throw invalidRequest(9002325, 'Proof Key for Code Exchange is required: send code_challenge with code_challenge_method=S256.');
  }
  if (method !== 'S256') {
    throw invalidRequest(9002325, "The code_challenge_method must be 'S256'; 'plain' (the default when it is missing) is not accepted.");
  }
  if (!isS256Challenge(challenge)) throw invalidRequest(9002325, 'The code_challenge must be 43 base64url characters (the SHA-256 of the verifier).');
  return challenge;
}

/** Validates an authorize request, throwing an AuthorizePageError or AuthorizeRedirectError. */
export function parseAuthorizeRequest(params: URLSearchParams, tenant: Tenant, graphResource: string, extraApps: readonly EmuApp[] = []): AuthorizeRequest {
  const { app, redirectUri } = clientAndRedirect(params, tenant, extraApps);
  const mode = optional(params, 'response_mode');
  const target: ReplyTarget = {
    redirectUri,
    responseMode: mode !== undefined && RESPONSE_MODES.has(mode) ? (mode as ResponseMode) : 'query',
    state: params.get('state') ?? undefined,
  };
  try {
    if (mode !== undefined && !RESPONSE_MODES.has(mode)) throw invalidRequest(900561, 'The response_mode must be query, fragment or form_post.');
    const repeated = SINGLE.find((name) => params.getAll(name).length > 1);
    if (repeated !== undefined) throw invalidRequest(90015, `The parameter '${repeated}' appears more than once.`);
    const responseType = optional(params, 'response_type');
    if (responseType === undefined) throw invalidRequest(900144, "The request must contain the parameter 'response_type'.");
    if (responseType !== 'code') {
      throw new OAuthError(400, 'unsupported_response_type', 700054, "The emulator's authorize endpoint supports response_type=code only.");
    }
    const scope = optional(params, 'scope');
    if (scope === undefined) throw invalidRequest(900144, "The request must contain the parameter 'scope'.");
    const granted = resolveDelegatedScopes(scope, app, graphResource, { apis: exposedApis(tenant), tenantName: tenant.domain });
    checkResourceIndicator(params.getAll('resource'), granted, tenant, graphResource);
    const codeChallenge = pkceChallenge(params);
    const prompt = optional(params, 'prompt');
    if (prompt !== undefined && !PROMPTS.has(prompt)) throw invalidRequest(90023, 'The prompt must be one of none, login, consent, select_account, create.');
    return {
      ...target,
      app,
      granted,
      codeChallenge,
      nonce: optional(params, 'nonce'),
      loginHint: optional(params, 'login_hint'),
      prompt,
    };
  } catch (err) {
    if (err instanceof OAuthError) throw new AuthorizeRedirectError(err, target);
    throw err;
  }
}
