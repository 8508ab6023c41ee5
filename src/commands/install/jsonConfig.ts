import { AppError } from '../../errors.js';

export interface Merged {
  text: string;
  /** An entry of the same name was there and is replaced (the backup keeps it). */
  replaced: boolean;
}

/**
 * Adds or replaces one server entry in a client's JSON configuration, keeping everything else in
 * it (other servers, the client's own settings) as it was. An existing file that is not a JSON
 * object is refused, and left untouched, rather than overwritten.
 */
export function mergeJsonConfig(existing: string | undefined, path: string, serversKey: string, name: string, entry: Record<string, unknown>): Merged {
  const doc = parseObject(existing, path);
  const servers = doc[serversKey];
  if (servers !== undefined && (servers === null || typeof servers !== 'object' || Array.isArray(servers))) {
    throw refuse(path, `its "${serversKey}" is not an object`);
  }
  const table = (servers ?? {}) as Record<string, unknown>;
  const replaced = Object.hasOwn(table, name);
  doc[serversKey] = { ...table, [name]: entry };
  return { text: `${JSON.stringify(doc, null, 2)}\n`, replaced };
}

function parseObject(existing: string | undefined, path: string): Record<string, unknown> {
  // A UTF-8 byte order mark is not part of the JSON text (editors on Windows add one).
  const text = existing?.replace(/^\uFEFF/, '') ?? '';
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // VS Code and Gemini CLI read JSON with comments; rewriting such a file would drop them, so it is refused too.
    const comments = /\/\/|\/\*/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""')) ? ' (it has comments, which rewriting it would lose)' : '';
    throw refuse(path, `it is not valid JSON${comments}: ${(err as Error).message}`, err);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refuse(path, 'it is not a JSON object');
  return value as Record<string, unknown>;
}

export function refuse(path: string, why: string, cause?: unknown): AppError {
  return new AppError('ConfigInvalid', `${path} was not changed: ${why}.`, {
    nextStep: 'Fix the file, or run the same command with --print and add the entry it prints by hand.',
    cause,
  });
}
