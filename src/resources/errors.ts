import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError } from '@modelcontextprotocol/server';
import { AppError } from '../errors.js';
import { toToolError } from '../server/toolError.js';

/**
 * Resources cannot answer `isError` results like tools: a failure is a JSON-RPC error. Its message is
 * the same text a tool error shows (code, what happened, next step, redacted). Bugs stay bugs.
 */
export function toResourceError(err: unknown, uri: string): Error {
  if (!(err instanceof AppError)) return err instanceof Error ? err : new Error(String(err));
  const text = toToolError(err).content[0]!.text;
  if (err.code === 'NotFound') return new ResourceNotFoundError(uri, text);
  return new ProtocolError(err.code === 'InvalidArgument' ? ProtocolErrorCode.InvalidParams : ProtocolErrorCode.InternalError, text, { code: err.code });
}

/** Template variables arrive percent-encoded (ids carry / + = : @); a bad escape is the caller's error. */
export function decodeVariable(value: string | string[] | undefined, name: string): string {
  const raw = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    const decoded = decodeURIComponent(raw);
    if (decoded) return decoded;
  } catch {
    // reported below
  }
  throw new AppError('InvalidArgument', `${name} in the resource URI is empty or not valid percent-encoding`, { nextStep: `Percent-encode ${name} (encodeURIComponent) when building the URI.` });
}
