import { currentTraceId } from './telemetry/tracing.js';

/**
 * Structured logs, one JSON object per line, to stderr only: in stdio mode stdout is the protocol.
 * Anything that looks like a credential is masked before it is written. A line written during a
 * traced request carries its `traceId` (OpenTelemetry on), so logs and traces meet.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

const SECRET_KEYS = /^(access_?token|refresh_?token|id_?token|token|client_?secret|secret|password|assertion|code|device_?code|authorization|client_assertion)$/i;
// JWTs (three base64url parts) and bearer headers, wherever they appear in free text. Both are
// anchored to the start of a run (the lookbehinds): unanchored, every "eyJ" inside one long
// base64url run started a scan to the run's end, quadratic in its length (a 120 KB id in an error
// froze the event loop for 18 s). Anchored, each run is scanned a bounded number of times.
const JWT_PATTERN = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
// A credential has a digit or punctuation in it, or is long; "bearer refused" in a sentence is neither.
const BEARER_PATTERN = /(?<![A-Za-z0-9])(Bearer\s+)(?=[A-Za-z0-9._~+/-]*[0-9._~+/-]|[A-Za-z0-9._~+/-]{16})[A-Za-z0-9._~+/-]+=*/gi;
/** Log fields longer than this are cut before redaction: a log line is for people, not for payloads. */
const MAX_LOGGED_STRING = 8 * 1024;

/** `code` is an authorization code in OAuth answers but an error code (e.g. "Throttled") in ours: keep the latter readable. */
function isErrorCode(key: string, value: unknown): boolean {
  return key.toLowerCase() === 'code' && typeof value === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,40}$/.test(value);
}

export function redactText(text: string): string {
  return text.replace(JWT_PATTERN, '[redacted-jwt]').replace(BEARER_PATTERN, '$1[redacted]');
}

/** The first `max` characters, marked when cut: bounds the work any later pattern does. */
export function clipText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[${text.length - max} more characters]`;
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[…]';
  if (typeof value === 'string') return redactText(clipText(value, MAX_LOGGED_STRING));
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    return { name: value.name, message: redactText(clipText(value.message, MAX_LOGGED_STRING)), code: (value as { code?: unknown }).code };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) && !isErrorCode(k, v) ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  level: LogLevel = 'info',
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const threshold = ORDER[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < threshold) return;
    const traceId = currentTraceId();
    const record = { time: new Date().toISOString(), level: lvl, msg: redactText(clipText(msg, MAX_LOGGED_STRING)), ...(traceId ? { traceId } : {}), ...base, ...(fields ? (redact(fields) as object) : {}) };
    write(JSON.stringify(record) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}
