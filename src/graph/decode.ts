import type * as z from 'zod';
import { AppError } from '../errors.js';
import { redactText } from '../log.js';
import type { RawAnswer } from './transport.js';

export interface DecodeContext {
  method: string;
  /** Path without query string. */
  path: string;
  requestId: string | undefined;
}

function bodyExcerpt(text: string, max = 100): string {
  const one = redactText(text.slice(0, 4 * max).replace(/\s+/g, ' ').trim());
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** A 204 or an empty 2xx body is `undefined`, so a call that expects nothing can say `z.undefined()`. */
export function parseJsonBody(answer: RawAnswer, ctx: DecodeContext): unknown {
  if (answer.status === 204 || answer.bodyText.trim() === '') return undefined;
  try {
    return JSON.parse(answer.bodyText);
  } catch (cause) {
    const contentType = answer.headers.get('content-type') ?? 'none';
    throw new AppError('BadGraphResponse', `Graph answered ${answer.status} to ${ctx.method} ${ctx.path} with a body that is not JSON (content-type ${contentType}): "${bodyExcerpt(answer.bodyText)}"`, {
      cause,
      nextStep: 'Retry; if it persists, something between this server and Graph (a proxy, a captive portal) is answering instead of Graph: check graphBaseUrl and the network.',
      details: { status: answer.status, contentType, ...(ctx.requestId ? { requestId: ctx.requestId } : {}) },
    });
  }
}

/** Names the first bad field by its path, e.g. `retrievalHits.0.webUrl`, so a mismatch can be reported precisely. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, ctx: DecodeContext, pathPrefix: (string | number)[] = []): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = [...pathPrefix, ...(issue?.path ?? [])].map(String).join('.') || '(root)';
  throw new AppError('BadGraphResponse', `Graph's answer to ${ctx.method} ${ctx.path} has an unexpected shape at ${field}: ${issue?.message ?? 'invalid'}`, {
    nextStep: 'Graph may have changed this API or a proxy altered the answer; retry, and if it persists report it with the requestId.',
    details: { field, ...(ctx.requestId ? { requestId: ctx.requestId } : {}) },
  });
}
