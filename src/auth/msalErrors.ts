import { AppError } from '../errors.js';
import { redactText } from '../log.js';

interface MsalLikeError {
  name?: string;
  errorCode?: string;
  errorMessage?: string;
  subError?: string;
  message?: string;
}

/**
 * Turns an MSAL failure into an AppError that says what to do next. MSAL error codes are stable
 * strings; server errors carry the OAuth `error` value from the identity provider.
 */
export interface MsalErrorContext {
  scopes: string[];
  flow: 'delegated' | 'app';
  authority: string;
  clientId?: string;
  /** What the identity provider said when its metadata could not be read (MSAL keeps only a generic code). */
  discoveryError?: string;
}

/** Where a tenant admin grants consent for the whole organisation. */
export function adminConsentUrl(authority: string, clientId: string): string {
  const url = new URL(authority);
  const tenant = url.pathname.split('/').filter(Boolean)[0] ?? 'organizations';
  return `${url.origin}/${tenant}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}

export function mapMsalError(err: unknown, context: MsalErrorContext): AppError {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as MsalLikeError;
  const detail0 = e.errorMessage || e.message || '';
  // While polling a device code, MSAL wraps the provider's OAuth error as post_request_failed; the
  // OAuth code is then only in the message.
  const wrapped = e.errorCode === 'post_request_failed' ? /\b(access_denied|authorization_declined|expired_token|bad_verification_code|invalid_grant|invalid_client|invalid_scope)\b/.exec(detail0)?.[1] : undefined;
  const code = wrapped ?? e.errorCode ?? '';
  const detail = redactText(e.errorMessage || e.message || String(err)).split('\n')[0]!.slice(0, 300);
  const scopes = context.scopes.join(', ');
  const base = { cause: err, details: { msalErrorCode: code || undefined } };

  if (e.name === 'InteractionRequiredAuthError' || ['interaction_required', 'consent_required', 'login_required', 'invalid_grant', 'no_tokens_found', 'bad_token', 'refresh_token_expired'].includes(code)) {
    if (code === 'consent_required' || /AADSTS65001|\b65001\b|not consented|consent_required/i.test(detail0)) {
      const where = context.clientId ? ` at ${adminConsentUrl(context.authority, context.clientId)}` : '';
      return new AppError('AuthRequired', `consent is required for ${scopes}: ${detail}`, {
        ...base,
        details: { ...base.details, consent: true },
        nextStep: `Call the tool again to sign in and consent to ${scopes}; if your organisation requires it, a tenant admin grants consent for everyone${where}.`,
      });
    }
    return new AppError('AuthRequired', `the signed-in session can no longer get a token for ${scopes} (${code || 'interaction required'})`, {
      ...base,
      nextStep: 'Call the tool again to start a new sign-in.',
    });
  }
  switch (code) {
    case 'expired_token':
      return new AppError('AuthRequired', 'the sign-in code expired before the sign-in was completed', { ...base, nextStep: 'Call the tool again to get a new sign-in code.' });
    case 'access_denied':
    case 'authorization_declined':
      return new AppError('AuthRequired', 'the sign-in was declined', { ...base, nextStep: 'Call the tool again and approve the sign-in.' });
    case 'invalid_client':
    case 'unauthorized_client':
      return new AppError('AuthFailed', `the identity provider rejected the app registration (${code}): ${detail}`, {
        ...base,
        nextStep: context.flow === 'app'
          ? 'Check the export app id and its credential (M365_COPILOT_MCP_EXPORT_CLIENT_SECRET or _CERTIFICATE); a secret may have expired, a certificate may not be uploaded to the app registration.'
          : 'Check the client id (M365_COPILOT_MCP_CLIENT_ID) and that the app registration allows public client flows.',
      });
    case 'invalid_scope':
      return new AppError('AuthFailed', `the identity provider refused the scopes ${scopes}: ${detail}`, {
        ...base,
        nextStep: 'Add these API permissions to the app registration (Microsoft Graph) and grant consent.',
      });
    case 'invalid_request':
      return new AppError('AuthFailed', `the identity provider refused the request: ${detail}`, { ...base, nextStep: 'Check the tenant and client id settings.' });
  }
  if (context.discoveryError && /endpoints_resolution|openid_config|authority/i.test(`${code} ${detail}`)) {
    const tenantMissing = /90002|tenant .* not found|invalid_tenant/i.test(context.discoveryError);
    return new AppError('AuthFailed', `the identity provider ${new URL(context.authority).origin} refused the authority: ${redactText(context.discoveryError).slice(0, 300)}`, {
      ...base,
      nextStep: tenantMissing
        ? 'Check the tenant id or domain (--tenant / M365_COPILOT_MCP_TENANT_ID) and that --cloud matches the cloud your tenant lives in.'
        : 'Check --tenant, --cloud and --authority-host.',
    });
  }
  if (/network|endpoints_resolution|openid_config|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|certificate|self.signed|did not answer/i.test(`${code} ${detail}`)) {
    return new AppError('NetworkError', `cannot reach the identity provider ${new URL(context.authority).origin}: ${detail}`, {
      ...base,
      nextStep: 'Check network access to the authority (and --ca-cert if TLS is inspected), then retry.',
    });
  }
  return new AppError('AuthFailed', `sign-in failed${code ? ` (${code})` : ''}: ${detail}`, { ...base, nextStep: 'Retry; if it persists, check the tenant, client id and app permissions.' });
}
