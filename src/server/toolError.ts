import { AppError } from '../errors.js';
import { redactText } from '../log.js';

export interface ToolErrorResult {
  [key: string]: unknown;
  isError: true;
  content: { type: 'text'; text: string }[];
}

/**
 * The one mapper from a failure to what the model sees: a stable code, what happened, the next
 * step, and the Graph request id when there is one. Anything that is not an AppError is a bug and
 * is rethrown (the SDK still answers the client with an error result).
 */
export function toToolError(err: unknown): ToolErrorResult {
  if (!(err instanceof AppError)) throw err;
  const lines = [`Error [${err.code}]: ${err.message}`];
  if (err.nextStep) lines.push(`Next step: ${err.nextStep}`);
  const refs = ['graphCode', 'status', 'requestId']
    .filter((k) => err.details[k] !== undefined)
    .map((k) => `${k}: ${String(err.details[k])}`);
  if (refs.length) lines.push(`(${refs.join(', ')})`);
  return { isError: true, content: [{ type: 'text', text: redactText(lines.join('\n')) }] };
}
