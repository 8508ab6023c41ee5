import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, closeAfterResponse, headerValue, readBody, sendHtml, sendJson } from '../httpIo.js';
import { createAuthorizeEndpoint } from './authorizeEndpoint.js';
import { presentedClient } from './clients.js';
import { deviceLoginPage } from './deviceLoginPage.js';
import type { SigningKeys } from './keys.js';
import { instanceDiscovery, openIdConfiguration } from './metadata.js';
import { OAuthError, oauthErrorBody } from './oauthError.js';
import { appNotInDirectory } from './onBehalfOf.js';
import type { IdentityProvider } from './provider.js';

export interface IdentityRoutesOptions {
  provider: IdentityProvider;
  keys: SigningKeys;
  authorityHost: string;
  graphResource: string;
  graphBaseUrl: string;
  controlUrl: string;
  clock: () => number;
}

export type IdentityHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

// Form posts to the token endpoint are small; anything bigger is not a client we emulate.
const FORM_LIMIT = 64 * 1024;

function sendOAuthError(res: ServerResponse, req: IncomingMessage, err: OAuthError, nowMs: number): void {
  const correlationId = headerValue(req, 'client-request-id');
  const body = oauthErrorBody(err, correlationId, nowMs);
  const headers: Record<string, string> = { 'x-ms-request-id': body.trace_id };
  if (correlationId !== undefined) headers['client-request-id'] = correlationId;
  if (err.status === 401) headers['WWW-Authenticate'] = 'Basic realm="m365-copilot-emulator"';
  sendJson(res, err.status, body, headers);
}

/** Identity endpoints are HTTPS only, as MSAL requires of any authority. */
export function refuseInsecureIdentity(req: IncomingMessage, res: ServerResponse, authorityHost: string, nowMs: number): void {
  sendOAuthError(
    res,
    req,
    new OAuthError(400, 'invalid_request', 90015, `The identity endpoints of this emulator are served over https only: use ${authorityHost}.`),
    nowMs,
  );
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req, FORM_LIMIT)).toString('utf8'));
}

function methodNotAllowed(allowed: string): OAuthError {
  return new OAuthError(405, 'invalid_request', 900561, `The endpoint only accepts ${allowed} requests.`);
}

export function createIdentityRoutes(opts: IdentityRoutesOptions): IdentityHandler {
  const { provider, authorityHost } = opts;
  const tenantId = provider.tenant.id;
  const authorize = createAuthorizeEndpoint(provider, opts.graphResource);

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const segments = url.pathname.split('/').filter((s) => s.length > 0);
    const [first, ...rest] = segments;
    const tail = rest.join('/');

    if (first === 'devicelogin' && rest.length === 0) return deviceLogin(req, res, method);
    if (first === undefined) throw new OAuthError(404, 'invalid_request', 900561, 'No endpoint here. Start from the OpenID metadata of the authority.');
    const directory = provider.tenantSegment(first);
    if (directory === undefined) {
      const other = provider.tenant.otherTenant;
      const known = `${tenantId} (${provider.tenant.domain})${other === undefined ? '' : ` and ${other.id} (${other.domain}), where none of its apps is registered`}`;
      throw new OAuthError(400, 'invalid_tenant', 90002, `Tenant '${first}' not found. This emulator knows ${known}.`);
    }
    // The other directory publishes its metadata and (common) keys like any tenant, and knows none of our apps.
    const directoryId = directory.kind === 'other' ? directory.tenant.id : tenantId;
    const notRegisteredHere = (form: URLSearchParams): OAuthError | undefined =>
      directory.kind === 'other' ? appNotInDirectory(form.get('client_id') ?? '', directory.tenant.domain) : undefined;

    const readOnly = (answer: () => void): void => {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET');
      answer();
    };
    switch (tail) {
      case 'v2.0/.well-known/openid-configuration':
      case '.well-known/openid-configuration':
        return readOnly(() => sendJson(res, 200, openIdConfiguration(authorityHost, directoryId, opts.graphBaseUrl)));
      case 'discovery/v2.0/keys':
      case 'discovery/keys':
        return readOnly(() => sendJson(res, 200, opts.keys.jwks()));
      case 'discovery/instance':
        return readOnly(() => sendJson(res, 200, instanceDiscovery(authorityHost, directoryId)));
      case 'oauth2/v2.0/devicecode': {
        if (method !== 'POST') throw methodNotAllowed('POST');
        const form = await readForm(req);
        const refused = notRegisteredHere(form);
        if (refused !== undefined) throw refused;
        return sendJson(res, 200, provider.startDeviceCode(form));
      }
      case 'oauth2/v2.0/token': {
        if (method !== 'POST') throw methodNotAllowed('POST');
        const form = await readForm(req);
        const body = await provider.token(form, presentedClient(form, headerValue(req, 'authorization')), directory);
        return sendJson(res, 200, body, { Pragma: 'no-cache' });
      }
      case 'oauth2/v2.0/authorize': {
        const refused = notRegisteredHere(url.searchParams);
        if (refused !== undefined) throw refused;
        // Not HEAD: answering may issue a code, which a probe must not do.
        if (method === 'GET') return authorize(res, url.pathname, url.searchParams, false);
        if (method === 'POST') return authorize(res, url.pathname, await readForm(req), true);
        throw methodNotAllowed('GET or POST');
      }
      case 'oauth2/v2.0/logout':
        return sendHtml(res, 200, '<!doctype html><title>Signed out</title><p>Signed out of the m365-copilot-mcp emulator.</p>');
      default:
        throw new OAuthError(404, 'invalid_request', 900561, `The endpoint '${url.pathname}' does not exist on this emulator.`);
    }
  }

  async function deviceLogin(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    const page = (notice?: string): string =>
      deviceLoginPage({ users: provider.tenant.users, controlUrl: opts.controlUrl, ...(notice === undefined ? {} : { notice }) });
    if (method === 'GET' || method === 'HEAD') return sendHtml(res, 200, page());
    if (method !== 'POST') throw methodNotAllowed('GET or POST');
    const form = await readForm(req);
    const userCode = form.get('user_code') ?? '';
    const upn = form.get('upn') ?? '';
    const result = form.get('action') === 'deny' ? provider.denyDeviceCode(userCode) : provider.approveDeviceCode(userCode, upn);
    const notices: Record<typeof result, string> = {
      ok: form.get('action') === 'deny' ? 'Sign-in denied. The application will be told.' : `Approved: the application is now signed in as ${upn}. You can close this page.`,
      unknown: 'That code is not known. Check it and try again.',
      expired: 'That code has expired. Start sign-in again in the application.',
      decided: 'That code was already used.',
      unknown_user: `No user ${upn} in this tenant.`,
    };
    sendHtml(res, result === 'ok' ? 200 : 400, page(notices[result]));
  }

  return async (req, res, url) => {
    try {
      await route(req, res, url);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof BodyTooLargeError) {
        closeAfterResponse(res);
        return sendOAuthError(res, req, new OAuthError(413, 'invalid_request', 90022, 'The request body is too large.'), opts.clock());
      }
      if (err instanceof OAuthError) return sendOAuthError(res, req, err, opts.clock());
      sendOAuthError(res, req, new OAuthError(500, 'server_error', 90033, `The emulator failed (${randomUUID()}).`), opts.clock());
      throw err;
    }
  };
}
