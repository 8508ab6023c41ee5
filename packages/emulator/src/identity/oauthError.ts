import { randomUUID } from 'node:crypto';

/**
 * OAuth errors in the exact shape Entra ID sends. MSAL only behaves on these: given any other
 * body while polling a device code, it resolves with an empty token instead of throwing.
 */
export interface OAuthErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri?: string;
  /** Entra's finer reason; MSAL reads it (e.g. `bad_token` drops the cached refresh token). */
  suberror?: string;
}

export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    /** The AADSTS number the real service uses for the same situation. */
    readonly aadsts: number,
    readonly description: string,
    readonly suberror?: string,
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthError';
  }
}

function aadTimestamp(nowMs: number): string {
  return new Date(nowMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function oauthErrorBody(err: OAuthError, correlationId: string | undefined, nowMs: number): OAuthErrorBody {
  const traceId = randomUUID();
  const correlation = correlationId ?? randomUUID();
  const timestamp = aadTimestamp(nowMs);
  const body: OAuthErrorBody = {
    error: err.error,
    error_description:
      `AADSTS${err.aadsts}: ${err.description} (m365-copilot-mcp emulator)\r\n` +
      `Trace ID: ${traceId}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlation,
  };
  if (err.suberror !== undefined) body.suberror = err.suberror;
  return body;
}
