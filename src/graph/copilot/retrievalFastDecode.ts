import type { RetrievalResponse } from './schemas.js';

/*
 * RetrievalResponseSchema's answer without zod, for the hot path: a retrieval answer of 25 hits took
 * zod 0.4 ms to check and Node 0.1 ms to parse, the largest share of our own cost per stdio call.
 * The same input gives the same output as the schema (test/unit/retrievalFastDecode.test.ts proves it
 * with generated answers); anything it is not sure of returns undefined and the schema decides,
 * so a bad answer still gets the schema's precise error. The schema stays the one definition.
 *
 * zod's rules reproduced: a looseObject keeps unknown keys; a known key present in the input is
 * set to its parsed value (even undefined); an absent one is set only when parsing `undefined`
 * gives a value (a list's []).
 */

type Obj = Record<string, unknown>;
const NOT = Symbol('not decodable');
type Parsed<T> = T | typeof NOT;

// A JSON `__proto__` key is an own property that assignment would turn into a prototype: the schema's to judge.
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.hasOwn(v, '__proto__');
const text = (v: unknown): Parsed<string | null | undefined> => (v === undefined || v === null || typeof v === 'string' ? v : NOT);
const num = (v: unknown): Parsed<number | null | undefined> => (v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v)) ? v : NOT);

function list<T>(v: unknown, item: (x: unknown) => Parsed<T>): Parsed<T[]> {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return NOT;
  const out: T[] = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) {
    const parsed = item(v[i]);
    if (parsed === NOT) return NOT;
    out[i] = parsed;
  }
  return out;
}

/** One looseObject: unknown keys kept, known keys by zod's presence rule. */
function looseObject(v: unknown, fields: Record<string, (x: unknown) => Parsed<unknown>>): Parsed<Obj> {
  if (!isObject(v)) return NOT;
  const out: Obj = {};
  for (const key in fields) {
    const present = key in v;
    const parsed = fields[key]!(present ? v[key] : undefined);
    if (parsed === NOT) return NOT;
    if (present || parsed !== undefined) out[key] = parsed;
  }
  for (const key in v) if (!(key in fields)) out[key] = v[key];
  return out;
}

const EXTRACT = {
  text: (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : NOT),
  relevanceScore: (v: unknown) => {
    const n = num(v);
    return n === null ? undefined : n;
  },
  pageNumbers: (v: unknown) => list(v, (x) => (typeof x === 'number' && Number.isFinite(x) ? x : NOT)),
};
const THUMBNAIL = { pageNumber: num, content: text, mediaType: text, mimeType: text };
const LABEL = { sensitivityLabelId: text, displayName: text, tooltip: text, toolTip: text, priority: num, color: text, isEncrypted: (v: unknown) => (v === undefined || v === null || typeof v === 'boolean' ? v : NOT) };

function label(v: unknown): Parsed<unknown> {
  if (v === undefined || v === null) return v;
  const parsed = looseObject(v, LABEL);
  if (parsed === NOT) return NOT;
  const { toolTip, ...rest } = parsed;
  return { ...rest, tooltip: rest['tooltip'] ?? toolTip ?? undefined };
}

function metadata(v: unknown): Parsed<unknown> {
  if (v === undefined || v === null) return v;
  if (!isObject(v)) return NOT;
  return { ...v };
}

const HIT = {
  webUrl: text,
  extracts: (v: unknown) => list(v, (x) => looseObject(x, EXTRACT)),
  resourceType: text,
  resourceMetadata: metadata,
  sensitivityLabel: label,
  thumbnails: (v: unknown) => list(v, (x) => looseObject(x, THUMBNAIL)),
};

export function decodeRetrievalResponseFast(value: unknown): RetrievalResponse | undefined {
  const parsed = looseObject(value, { retrievalHits: (v) => list(v, (x) => looseObject(x, HIT)) });
  return parsed === NOT ? undefined : (parsed as RetrievalResponse);
}
