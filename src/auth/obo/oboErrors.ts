import { AppError } from '../../errors.js';
import { redactText } from '../../log.js';
import { adminConsentUrl, mapMsalError } from '../msalErrors.js';

export interface OboErrorContext {
  /** Bare Graph scopes that were asked for. */
  scopes: string[];
  authority: string;
  clientId: string;
  discoveryError?: string;
  /** Strings that must never appear in what we return (the assertion, the client secret). */
  secrets: string[];
}

interface MsalLikeError {
  name?: string;
  errorCode?: string;
  errorMessage?: string;
  subError?: string;
  errorNo?: string;
  claims?: string;
  message?: string;
}

// AADSTS500133: assertion not within its valid time range; 50013 with "expired"; 700024 is the client's own assertion.
const EXPIRED = /\b500133\b|expired|not within its valid time range|lifetime/i;
const CONSENT = /\b65001\b|consent_required|not consented|has not consented|consent/i;
// MFA / conditional access: the client must sign the user in again with the claims challenge.
const STEP_UP = /\b(50076|50079|50158|53003|53000|50074)\b|conditional access|multi-factor|\bmfa\b/i;

/**
 * An OBO failure as an AppError that tells who must do what: the client (get a new token, sign
 * in again for conditional access), a tenant admin (grant consent to the server app), or the
 * operator (the server's own credentials). Nothing secret is kept in the text or the details.
 */
export function mapOboError(err: unknown, context: OboErrorContext): AppError {
  return withoutSecrets(classify(err, context), context.secrets);
}

function classify(err: unknown, context: OboErrorContext): AppError {
  if (err instanceof AppError) return err;
  const e = (err ?? {}) as MsalLikeError;
  const code = e.errorCode ?? '';
  const text = `${e.errorNo ?? ''} ${e.subError ?? ''} ${e.errorMessage ?? e.message ?? ''}`;
  const detail = providerSays(e);
  const scopes = context.scopes.join(', ');
  const base = { cause: err, details: { msalErrorCode: code || undefined, ...(e.errorNo ? { aadsts: e.errorNo } : {}) } };
  const isGrantError = code === 'invalid_grant' || code === 'interaction_required' || code === 'consent_required' || code === 'login_required' || e.name === 'InteractionRequiredAuthError';

  if (isGrantError && CONSENT.test(text)) {
    const url = adminConsentUrl(context.authority, context.clientId);
    return new AppError('Forbidden', `the tenant has not consented to this server using ${scopes} on the user's behalf (${detail})`, {
      ...base,
      details: { ...base.details, consent: true, adminConsentUrl: url, scopes: context.scopes },
      nextStep:
        `A tenant admin must grant admin consent for the Microsoft Graph delegated permissions ${scopes} to the MCP server app ${context.clientId}, ` +
        `at ${url} (users of a remote MCP server cannot consent themselves). Then call the tool again.`,
    });
  }
  if (isGrantError && STEP_UP.test(text)) {
    return new AppError('Unauthenticated', `the tenant requires the user to sign in again (multi-factor or conditional access) before this server may act for them (${detail})`, {
      ...base,
      details: { ...base.details, ...(e.claims ? { claims: e.claims } : {}) },
      nextStep: 'The client must sign the user in again, passing the claims challenge if it supports one, and retry with the new token.',
    });
  }
  if (isGrantError && EXPIRED.test(text)) {
    return new AppError('Unauthenticated', `the caller's access token expired before this server could exchange it (${detail})`, {
      ...base,
      nextStep: 'The client must get a new token for this server (refresh it or sign in again) and retry.',
    });
  }
  if (isGrantError) {
    return new AppError('Unauthenticated', `the identity provider refused to exchange the caller's token (${code || 'invalid_grant'}: ${detail})`, {
      ...base,
      nextStep: "The client must get a new token for this server and retry; if that keeps failing, the token's audience may not be this server's app (check M365_COPILOT_MCP_SERVER_CLIENT_ID).",
    });
  }
  if (/\b700016\b/.test(text)) {
    const url = adminConsentUrl(context.authority, context.clientId);
    return new AppError('Forbidden', `this server's app is not registered in the caller's tenant (${detail})`, {
      ...base,
      nextStep:
        `If this server should serve that tenant, an admin of it must consent to the MCP server app ${context.clientId} at ${url}; ` +
        'otherwise leave the tenant out of M365_COPILOT_MCP_ALLOWED_TENANTS so its users are refused before any exchange.',
    });
  }
  if (code === 'invalid_client' || code === 'unauthorized_client') {
    return new AppError('AuthFailed', `the identity provider rejected this server's own app credentials (${code}: ${detail})`, {
      ...base,
      nextStep:
        'The server operator must check M365_COPILOT_MCP_SERVER_CLIENT_ID and M365_COPILOT_MCP_SERVER_CLIENT_SECRET (a secret may have expired), then restart the server.',
    });
  }
  if (code === 'invalid_scope') {
    return new AppError('AuthFailed', `the identity provider refused the scopes ${scopes} for this server (${detail})`, {
      ...base,
      nextStep: `Add the Microsoft Graph delegated permissions ${scopes} to the server app ${context.clientId} and have a tenant admin grant consent at ${adminConsentUrl(context.authority, context.clientId)}.`,
    });
  }
  return mapMsalError(err, {
    scopes: context.scopes,
    flow: 'delegated',
    authority: context.authority,
    clientId: context.clientId,
    ...(context.discoveryError ? { discoveryError: context.discoveryError } : {}),
  });
}

/** The provider's description without MSAL's timestamp and trace boilerplate, short and redacted. */
function providerSays(e: MsalLikeError): string {
  const raw = e.errorMessage || e.message || 'no description';
  const description = /Description: (.*?)(?: - Correlation ID:|$)/s.exec(raw)?.[1] ?? raw;
  return redactText(description.split('\n')[0]!.trim()).slice(0, 300);
}

/**
 * Defence in depth: whatever a provider or library put in a message, the assertion and the client
 * secret never leave in ours. The cause is replaced by a scrubbed copy only when it holds one.
 */
function withoutSecrets(err: AppError, secrets: string[]): AppError {
  const present = secrets.filter((s) => s.length >= 8);
  const scrub = (text: string) => present.reduce((t, s) => t.split(s).join('[redacted]'), text);
  const holds = (text: string | undefined) => text !== undefined && present.some((s) => text.includes(s));
  const cause = err.cause as { message?: string; errorMessage?: string } | undefined;
  const causeText = cause ? `${String(cause.message ?? '')} ${String(cause.errorMessage ?? '')}` : undefined;
  const detailsText = JSON.stringify(err.details);
  if (!holds(err.message) && !holds(err.nextStep) && !holds(detailsText) && !holds(causeText)) return err;
  const scrubbedCause = holds(causeText) ? Object.assign(new Error(scrub(String(cause?.message ?? ''))), { name: (cause as Error).name ?? 'Error' }) : err.cause;
  return new AppError(err.code, scrub(err.message), {
    ...(err.nextStep === undefined ? {} : { nextStep: scrub(err.nextStep) }),
    details: JSON.parse(scrub(detailsText)) as Record<string, unknown>,
    ...(scrubbedCause === undefined ? {} : { cause: scrubbedCause }),
  });
}
