import { isDeepStrictEqual } from 'node:util';
import { parse, stringify } from 'smol-toml';
import type { Merged } from './jsonConfig.js';
import { refuse } from './jsonConfig.js';

/**
 * Adds or replaces `[<table>.<name>]` (and its sub-tables such as `.env`) in a TOML file (Codex's
 * config.toml) by editing the text, so every other line, comments included, stays as it was. The
 * result is parsed again and must hold exactly the new entry plus everything the file held before;
 * a layout this edit cannot handle safely (the entry written inline, as dotted keys) is refused.
 */
export function mergeTomlConfig(existing: string | undefined, path: string, table: string, name: string, entry: Record<string, unknown>): Merged {
  const text = existing?.replace(/^\uFEFF/, '') ?? '';
  let before: Record<string, unknown>;
  try {
    before = parse(text) as Record<string, unknown>;
  } catch (err) {
    throw refuse(path, `it is not valid TOML: ${(err as Error).message.split('\n')[0]}`, err);
  }
  const servers = before[table];
  if (servers !== undefined && (servers === null || typeof servers !== 'object' || Array.isArray(servers))) throw refuse(path, `its "${table}" is not a table`);
  const replaced = servers !== undefined && Object.hasOwn(servers, name);

  // A Windows-edited file keeps its line endings.
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const kept = withoutTables(text, table, name, eol);
  const block = stringify({ [table]: { [name]: entry } }).trim().split(/\r?\n/).join(eol);
  const next = `${kept.replace(/\s*$/, '')}${kept.trim() === '' ? '' : eol + eol}${block}${eol}`;

  let after: Record<string, unknown>;
  try {
    after = parse(next) as Record<string, unknown>;
  } catch (err) {
    throw refuse(path, `the entry "${name}" is written in a form this command cannot replace safely (${(err as Error).message.split('\n')[0]})`, err);
  }
  const expected = { ...before, [table]: { ...((servers as Record<string, unknown> | undefined) ?? {}), [name]: entry } };
  if (!isDeepStrictEqual(normalise(after), normalise(expected))) throw refuse(path, `the entry "${name}" is written in a form this command cannot replace safely`);
  return { text: next, replaced };
}

/** The text without the `[table.name]` header and its sub-tables, each up to the next header. */
function withoutTables(text: string, table: string, name: string, eol: string): string {
  const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/;
  const ours = (key: string) => {
    const parts = key.split('.').map((p) => p.trim().replace(/^"(.*)"$|^'(.*)'$/, '$1$2'));
    return parts[0] === table && parts[1] === name;
  };
  const out: string[] = [];
  let skipping = false;
  for (const line of text.split(/\r?\n/)) {
    const m = header.exec(line);
    if (m) skipping = ours(m[1]!);
    if (!skipping) out.push(line);
  }
  return out.join(eol);
}

/** Plain JSON values (dates as strings), so the before/after comparison ignores the parser's classes. */
const normalise = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
