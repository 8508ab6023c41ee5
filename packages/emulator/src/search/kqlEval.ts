import { parseKql, type KqlNode, type KqlOperator } from './kql.js';
import { words } from './tokenize.js';

/** How a property's values compare. */
export type KqlPropertyKind = 'text' | 'extension' | 'id' | 'path' | 'date';

/** Property name (lowercase) → kind: what the filter may name for this corpus. */
export type KqlSchema = ReadonlyMap<string, KqlPropertyKind>;

/** Reads a property (lowercase name) of the item under test. */
export type KqlSubject = (property: string) => string | undefined;

export type KqlPredicate = (subject: KqlSubject) => boolean;

export type CompiledKql = { ok: true; test: KqlPredicate } | { ok: false; reason: string };

export const SHAREPOINT_KQL_SCHEMA: KqlSchema = new Map<string, KqlPropertyKind>([
  ['author', 'text'],
  ['fileextension', 'extension'],
  ['filename', 'text'],
  ['filetype', 'extension'],
  ['informationprotectionlabelid', 'id'],
  ['lastmodifiedtime', 'date'],
  ['modifiedby', 'text'],
  ['path', 'path'],
  ['siteid', 'id'],
  ['title', 'text'],
]);

/**
 * Parses and checks a filter against a schema. Invalid syntax, an unknown property or a bad date
 * all come back as `ok: false`; Retrieval then runs unscoped, as the service documents.
 */
export function compileKql(text: string, schema: KqlSchema): CompiledKql {
  let tree: KqlNode;
  try {
    tree = parseKql(text);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  try {
    return { ok: true, test: compileNode(tree, schema) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

function compileNode(node: KqlNode, schema: KqlSchema): KqlPredicate {
  switch (node.kind) {
    case 'and': {
      const left = compileNode(node.left, schema);
      const right = compileNode(node.right, schema);
      return (s) => left(s) && right(s);
    }
    case 'or': {
      const left = compileNode(node.left, schema);
      const right = compileNode(node.right, schema);
      return (s) => left(s) || right(s);
    }
    case 'not': {
      const operand = compileNode(node.operand, schema);
      return (s) => !operand(s);
    }
    case 'restriction': {
      const property = node.property.toLowerCase();
      const kind = schema.get(property);
      if (kind === undefined) throw new Error(`property '${node.property}' cannot be used in a filter here`);
      const matches = matcher(kind, node.operator, node.value, node.prefix);
      return (s) => {
        const actual = s(property);
        return actual !== undefined && matches(actual);
      };
    }
  }
}

type Matcher = (actual: string) => boolean;

function matcher(kind: KqlPropertyKind, operator: KqlOperator, value: string, prefix: boolean): Matcher {
  switch (kind) {
    case 'date':
      return dateMatcher(operator, value);
    case 'path':
      return equalityMatcher(operator, normalisePath(value), normalisePath, (actual, expected) =>
        operator === '=' && !prefix ? stripSlash(actual) === stripSlash(expected) : actual.startsWith(expected),
      );
    case 'id':
      return equalityMatcher(operator, normaliseId(value), normaliseId, (actual, expected) =>
        prefix ? actual.startsWith(expected) : actual === expected,
      );
    case 'extension':
      return equalityMatcher(operator, normaliseExtension(value), normaliseExtension, (actual, expected) =>
        prefix ? actual.startsWith(expected) : actual === expected,
      );
    case 'text': {
      const expectedWords = words(value);
      return equalityMatcher(operator, normaliseText(value), normaliseText, (actual, expected) => {
        if (operator === '=') return prefix ? actual.startsWith(expected) : actual === expected;
        return containsPhrase(words(actual), expectedWords, prefix);
      });
    }
  }
}

/** `:` / `=` use `equals`; `<>` negates it; the ordering operators compare normalised strings. */
function equalityMatcher(
  operator: KqlOperator,
  expected: string,
  normalise: (v: string) => string,
  equals: (actual: string, expected: string) => boolean,
): Matcher {
  switch (operator) {
    case ':':
    case '=':
      return (actual) => equals(normalise(actual), expected);
    case '<>':
      return (actual) => !equals(normalise(actual), expected);
    case '>':
      return (actual) => normalise(actual) > expected;
    case '>=':
      return (actual) => normalise(actual) >= expected;
    case '<':
      return (actual) => normalise(actual) < expected;
    case '<=':
      return (actual) => normalise(actual) <= expected;
  }
}

/** A date-only value means the whole (UTC) day, as KQL treats it. */
function dateMatcher(operator: KqlOperator, value: string): Matcher {
  const range = dateRange(value);
  if (range === undefined) throw new Error(`'${value}' is not a date`);
  const [start, end] = range;
  const test = (t: number): boolean => {
    switch (operator) {
      case ':':
      case '=':
        return t >= start && t < end;
      case '<>':
        return t < start || t >= end;
      case '>':
        return t >= end;
      case '>=':
        return t >= start;
      case '<':
        return t < start;
      case '<=':
        return t < end;
    }
  };
  return (actual) => {
    const t = Date.parse(actual);
    return !Number.isNaN(t) && test(t);
  };
}

function dateRange(value: string): [number, number] | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(start) ? undefined : [start, start + 86_400_000];
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  // A time without a zone is UTC, like Graph's own timestamps.
  const t = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`);
  return Number.isNaN(t) ? undefined : [t, t + 1];
}

function containsPhrase(haystack: readonly string[], needle: readonly string[], prefix: boolean): boolean {
  if (needle.length === 0) return false;
  const last = needle.length - 1;
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    let ok = true;
    for (let k = 0; k <= last && ok; k++) {
      const word = haystack[i + k] as string;
      const want = needle[k] as string;
      ok = k === last && prefix ? word.startsWith(want) : word === want;
    }
    if (ok) return true;
  }
  return false;
}

function normaliseText(v: string): string {
  return v.trim().replace(/\s+/g, ' ').toLowerCase();
}

function normaliseExtension(v: string): string {
  return v.trim().replace(/^\./, '').toLowerCase();
}

function normaliseId(v: string): string {
  return v.trim().replace(/^\{|\}$/g, '').toLowerCase();
}

/** Compare URLs decoded and case-insensitively: "Shared Documents" = "Shared%20Documents". */
export function normalisePath(v: string): string {
  let out = v.trim();
  for (let i = 0; i < 3; i++) {
    try {
      const decoded = decodeURIComponent(out);
      if (decoded === out) break;
      out = decoded;
    } catch {
      break;
    }
  }
  return out.toLowerCase();
}

function stripSlash(v: string): string {
  return v.endsWith('/') ? v.slice(0, -1) : v;
}
