import { trace, type Span } from '@opentelemetry/api';
import { instruments } from './instruments.js';
import { clientSpan, SpanKind } from './tracing.js';

/** How a token acquisition was served, by the grant its token endpoint call used; no call at all is `cache`. */
const GRANT_KINDS: Record<string, string> = {
  'urn:ietf:params:oauth:grant-type:jwt-bearer': 'obo',
  refresh_token: 'refresh',
  client_credentials: 'client_credentials',
  authorization_code: 'authorization_code',
  'urn:ietf:params:oauth:grant-type:device_code': 'device_code',
};

const kinds = new WeakMap<Span, string>();

/**
 * A token acquisition for a Graph request (child of its span): `m365.token.kind` says whether it was
 * served from the cache or needed the token endpoint (refresh, on-behalf-of, client credentials…).
 * Never the token, its scopes' values beyond the flow, or the user.
 */
export function tracedTokenAcquisition<T>(flow: string, fn: () => Promise<T>): Promise<T> {
  return clientSpan(
    'token acquisition',
    { 'm365.token.flow': flow },
    async (span) => {
      const result = await fn();
      const kind = kinds.get(span) ?? 'cache';
      span.setAttribute('m365.token.kind', kind);
      instruments().tokenAcquisitions.add(1, { 'm365.token.kind': kind, 'm365.token.flow': flow });
      return result;
    },
    SpanKind.INTERNAL,
  );
}

/** The identity network client saw a token endpoint call with this form body: names the acquisition's kind. */
export function tokenEndpointCalled(formBody: string | undefined): void {
  const span = trace.getActiveSpan();
  if (!span || formBody === undefined) return;
  const grant = new URLSearchParams(formBody).get('grant_type');
  if (grant) kinds.set(span, GRANT_KINDS[grant] ?? 'other');
}
