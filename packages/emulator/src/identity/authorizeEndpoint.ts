import type { ServerResponse } from 'node:http';
import { sendHtml } from '../httpIo.js';
import type { EmuUser } from '../model.js';
import { authorizeErrorPage, consentPage } from './authorizePages.js';
import { errorAnswer, replyToClient } from './authorizeReply.js';
import { AuthorizePageError, AuthorizeRedirectError, parseAuthorizeRequest, type AuthorizeRequest } from './authorizeRequest.js';
import { OAuthError } from './oauthError.js';
import type { IdentityProvider } from './provider.js';
import { scopeResponseString } from './scopeGrants.js';

/**
 * `/{tenant}/oauth2/v2.0/authorize`: GET (or a form POST) starts sign-in; a POST carrying
 * `decision` is the answer of the consent page. Without a browser, a test posts those fields.
 */
export function createAuthorizeEndpoint(provider: IdentityProvider, graphResource: string) {
  function approve(res: ServerResponse, request: AuthorizeRequest, user: EmuUser): void {
    replyToClient(res, request, provider.approveAuthorization(request, user));
  }

  function showConsent(res: ServerResponse, action: string, request: AuthorizeRequest, params: URLSearchParams, status: number, notice?: string): void {
    const hinted = request.loginHint === undefined ? undefined : provider.userByUpn(request.loginHint);
    sendHtml(
      res,
      status,
      consentPage({
        action,
        app: request.app,
        permissions: scopeResponseString(request.granted, graphResource).split(' ').filter((s) => s.length > 0),
        users: provider.tenant.users,
        selectedUpn: params.get('upn') ?? hinted?.upn ?? provider.tenant.demoUserUpn,
        params,
        ...(notice === undefined ? {} : { notice }),
      }),
    );
  }

  return async function authorize(res: ServerResponse, action: string, params: URLSearchParams, isPost: boolean): Promise<void> {
    provider.authorizationRequested();
    let request: AuthorizeRequest;
    try {
      try {
        await provider.resolveDocumentClient(params.get('client_id'));
      } catch (err) {
        // Until the client is known good, an error is shown, never sent to a redirect URI.
        if (err instanceof OAuthError) throw new AuthorizePageError(err);
        throw err;
      }
      request = parseAuthorizeRequest(params, provider.tenant, graphResource, provider.extraApps);
    } catch (err) {
      if (err instanceof AuthorizePageError) return sendHtml(res, err.error.status, authorizeErrorPage(err.error));
      if (err instanceof AuthorizeRedirectError) return replyToClient(res, err.target, errorAnswer(err.error));
      throw err;
    }

    const decision = isPost ? params.get('decision') : null;
    if (decision === 'deny') {
      provider.authorizationDenied();
      return replyToClient(res, request, errorAnswer(new OAuthError(400, 'access_denied', 65004, 'User declined to consent to access the app.')));
    }
    if (decision === 'approve') {
      const upn = params.get('upn') ?? '';
      const user = provider.userByUpn(upn);
      if (user === undefined) return showConsent(res, action, request, params, 400, `No user ${upn} in this tenant. Choose one from the list.`);
      return approve(res, request, user);
    }
    if (decision !== null) return showConsent(res, action, request, params, 400, 'Choose Approve or Deny.');

    const automatic = provider.autoApprovalUser(request.loginHint);
    if (automatic !== undefined) return approve(res, request, automatic);
    if (request.prompt === 'none') {
      // No browser session exists in the emulator: a silent authorize always needs the user.
      const err = new OAuthError(400, 'login_required', 50058, 'A silent sign-in request was sent but no user is signed in.');
      return replyToClient(res, request, errorAnswer(err));
    }
    showConsent(res, action, request, params, 200);
  };
}
