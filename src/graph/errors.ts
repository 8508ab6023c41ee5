import { AppError, type ErrorCode } from '../errors.js';
import { clipText, redactText } from '../log.js';
import type { AnswerHeaders } from './transport.js';

/**
 * Graph's error text is bounded before anything reads it: an envelope bigger than this is not one
 * Graph sends (its messages are a sentence), and a message can echo a caller's argument back.
 */
const MAX_ENVELOPE_CHARS = 64 * 1024;
const MAX_MESSAGE_CHARS = 1000;
const MAX_EXCERPT_SOURCE_CHARS = 4096;

/** Used in the advice when Graph sends no Retry-After; the retry policy keeps `retryAfterSeconds` undefined then. */
export const DEFAULT_THROTTLE_WAIT_SECONDS = 30;
export const DEFAULT_UNAVAILABLE_WAIT_SECONDS = 10;

export interface GraphErrorFields {
  code: ErrorCode;
  message: string;
  nextStep?: string;
  cause?: unknown;
  /** 0 when Graph gave no status at all (e.g. a $batch item missing from the answer). */
  status: number;
  graphCode?: string | undefined;
  graphMessage?: string | undefined;
  requestId?: string | undefined;
  clientRequestId?: string | undefined;
  retryAfterSeconds?: number | undefined;
  innerCode?: string | undefined;
  method?: string;
  path?: string;
}

/** A Graph answer that was not a success. Carries only what is safe to show: never a token or a request body. */
export class GraphError extends AppError {
  readonly status: number;
  readonly graphCode: string | undefined;
  readonly graphMessage: string | undefined;
  readonly requestId: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly innerCode: string | undefined;

  constructor(f: GraphErrorFields) {
    const details: Record<string, unknown> = { status: f.status };
    if (f.graphCode) details['graphCode'] = f.graphCode;
    if (f.innerCode) details['innerCode'] = f.innerCode;
    if (f.requestId) details['requestId'] = f.requestId;
    if (f.clientRequestId) details['clientRequestId'] = f.clientRequestId;
    if (f.retryAfterSeconds !== undefined) details['retryAfterSeconds'] = f.retryAfterSeconds;
    if (f.method) details['method'] = f.method;
    if (f.path) details['path'] = f.path;
    super(f.code, f.message, { ...(f.nextStep ? { nextStep: f.nextStep } : {}), ...(f.cause !== undefined ? { cause: f.cause } : {}), details });
    this.name = 'GraphError';
    this.status = f.status;
    this.graphCode = f.graphCode;
    this.graphMessage = f.graphMessage;
    this.requestId = f.requestId;
    this.clientRequestId = f.clientRequestId;
    this.retryAfterSeconds = f.retryAfterSeconds;
    this.innerCode = f.innerCode;
  }
}

export type HeaderSource = AnswerHeaders | Record<string, string | undefined>;

export interface GraphErrorInput {
  status: number;
  headers: HeaderSource;
  bodyText: string;
  method: string;
  /** Request path; any query string is dropped before it goes into the error. */
  path: string;
  /** Human names of what the call needs, e.g. "Files.Read.All (delegated)", for 403 advice. */
  permissions?: string[];
}

function headerGetter(headers: HeaderSource): (name: string) => string | undefined {
  if (typeof headers.get === 'function') {
    const answer = headers as AnswerHeaders;
    return (name) => answer.get(name) ?? undefined;
  }
  const lower = new Map<string, string>();
  for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') lower.set(k.toLowerCase(), v);
  return (name) => lower.get(name.toLowerCase());
}

/** Retry-After is either delta-seconds or an HTTP date; a date in the past means "now". */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // Date.parse reads bare numbers such as "-5" as years; an HTTP date always names its month.
  const at = /[a-z]{3}/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

interface Envelope {
  code?: string;
  message?: string;
  innerCode?: string;
  requestId?: string;
  clientRequestId?: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Tolerant: anything that is not the documented envelope yields an empty result, never a throw. */
function readEnvelope(bodyText: string): Envelope {
  if (bodyText.length > MAX_ENVELOPE_CHARS) return {};
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return {};
  }
  const error = record(record(json)?.['error']);
  if (!error) return {};
  const out: Envelope = {};
  const code = str(error['code']);
  const message = str(error['message']);
  if (code) out.code = code;
  if (message) out.message = message;
  // innerError nests ever more specific codes; the deepest one is the most useful.
  let inner = record(error['innerError'] ?? error['innererror']);
  for (let depth = 0; inner && depth < 8; depth++) {
    const innerCode = str(inner['code']);
    if (innerCode) out.innerCode = innerCode;
    out.requestId ??= str(inner['request-id']);
    out.clientRequestId ??= str(inner['client-request-id']);
    inner = record(inner['innerError'] ?? inner['innererror']);
  }
  return out;
}

/** A short, single-line, tag-free excerpt of a non-envelope body (an HTML error page from a proxy, say). */
function excerpt(bodyText: string, max = 100): string | undefined {
  // `[^<>]`: a body of many "<" and no ">" would otherwise scan to its end from every "<".
  const text = redactText(bodyText.slice(0, MAX_EXCERPT_SOURCE_CHARS).replace(/<[^<>]*>/g, ' ').replace(/\s+/g, ' ').trim());
  if (!text) return undefined;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "A and B (delegated)" when all share a kind, else "A (delegated), B (application)". */
export function describePermissions(permissions: string[]): string {
  const parsed = permissions.map((p) => /^(.*?)\s*\(([^)]+)\)\s*$/.exec(p));
  const kinds = new Set(parsed.map((m) => m?.[2]));
  const join = (xs: string[]) => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
  if (kinds.size === 1 && parsed.every((m) => m)) return `${join(parsed.map((m) => m![1]!))} (${parsed[0]![2]})`;
  return join(permissions);
}

const LICENCE_PATTERN = /licen[cs]e|licensing|copilot (?:seat|plan|subscription)/i;

function isAboutLicence(env: Envelope): boolean {
  return [env.code, env.message, env.innerCode].some((s) => s !== undefined && LICENCE_PATTERN.test(s));
}

/**
 * The reason phrase for a status, read from node:http only when an error is parsed. An ES import of
 * node:http (even of one name) builds its whole namespace at startup, and on Node 22+ that runs the
 * lazy getters of http.WebSocket & co., which load undici (~40-80 ms of a cold start, measured with
 * --cpu-prof on Node 24). The stdio server's startup path has no other use for node:http.
 */
function statusText(status: number): string | undefined {
  return process.getBuiltinModule('node:http').STATUS_CODES[status];
}

export function parseGraphError(input: GraphErrorInput): GraphError {
  const header = headerGetter(input.headers);
  const env = readEnvelope(input.bodyText);
  const status = input.status;
  const path = input.path.split('?')[0] ?? input.path;
  const retryAfterSeconds = parseRetryAfter(header('retry-after'));
  const graphMessage = env.message ? redactText(clipText(env.message, MAX_MESSAGE_CHARS)) : undefined;
  const what = env.code ?? statusText(status) ?? 'error';
  const said = graphMessage ?? (env.code ? undefined : excerpt(input.bodyText));
  const message = `Graph answered ${status} ${what}${said ? `: ${said}` : ''}`;
  const base = {
    message,
    status,
    graphCode: env.code,
    graphMessage,
    requestId: header('request-id') ?? env.requestId,
    clientRequestId: header('client-request-id') ?? env.clientRequestId,
    retryAfterSeconds,
    innerCode: env.innerCode,
    method: input.method,
    path,
  };
  return new GraphError({ ...base, ...classify(status, env, retryAfterSeconds, input.permissions ?? []) });
}

function classify(status: number, env: Envelope, retryAfter: number | undefined, permissions: string[]): { code: ErrorCode; nextStep: string } {
  switch (status) {
    case 401:
      return {
        code: 'Unauthenticated',
        nextStep: 'Graph rejected the access token (expired, revoked or for another tenant). Sign in again: the next tool call starts a new sign-in.',
      };
    case 403:
      if (env.code === 'insufficient_claims' || env.innerCode === 'insufficient_claims')
        return {
          code: 'Unauthenticated',
          nextStep: "A Conditional Access policy needs a fresh sign-in (e.g. MFA or a compliant device). Sign in again: the next tool call starts a new sign-in.",
        };
      if (isAboutLicence(env))
        return {
          code: 'LicenseRequired',
          nextStep: 'The user needs a Microsoft 365 Copilot licence. Ask a licence administrator to assign one (Microsoft 365 admin center → Users → Active users → Licenses and apps).',
        };
      return {
        code: 'Forbidden',
        nextStep: `${permissions.length ? `This call needs ${describePermissions(permissions)}.` : 'The token lacks a permission this call needs.'} A tenant admin can grant it with admin consent in Entra ID → App registrations → (this app) → API permissions → Grant admin consent; then sign in again. If the permission is already granted, the user may lack access to this item.`,
      };
    case 404:
      return { code: 'NotFound', nextStep: 'Check the id or URL: the item may not exist, may have been deleted, or is not visible to this user.' };
    case 429:
      return {
        code: 'Throttled',
        nextStep:
          retryAfter !== undefined
            ? `Graph is throttling these requests; retry after ${retryAfter} s.`
            : `Graph is throttling these requests and gave no Retry-After; retry after at least ${DEFAULT_THROTTLE_WAIT_SECONDS} s.`,
      };
    case 503:
    case 504:
      return {
        code: 'ServiceUnavailable',
        nextStep: `Graph is temporarily unavailable; retry after ${retryAfter ?? DEFAULT_UNAVAILABLE_WAIT_SECONDS} s.`,
      };
    case 400:
      return { code: 'GraphError', nextStep: "Graph rejected the request: its message names the field or value to fix; change it and try again." };
    default:
      return {
        code: 'GraphError',
        nextStep:
          status >= 500
            ? 'Graph failed on its side; retry in a little while. If it keeps failing, report the requestId to Microsoft support.'
            : 'Graph refused the request; its message says why.',
      };
  }
}
