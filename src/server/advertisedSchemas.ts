import type { ToolDefinition } from '../tools/tool.js';

type Json = Record<string, unknown>;
type StandardWithJson = {
  '~standard': { jsonSchema?: { input: (o: { target: string }) => Json; output: (o: { target: string }) => Json } } & Record<string, unknown>;
};

/**
 * What tools/list advertises, computed once per process instead of on every tools/list (HTTP builds a
 * server per request), and without bytes that tell a client nothing: the `$schema` line on every
 * schema, the ±(2^53 − 1) bounds zod puts on integers, and `additionalProperties: false` on our own outputs (a client reading a result gains
 * nothing from it; the SDK still validates results against the zod schema itself).
 */
export function advertised<S extends ToolDefinition['input'] | ToolDefinition['output']>(schema: S, io: 'input' | 'output'): S {
  const std = (schema as unknown as StandardWithJson)['~standard'];
  const convert = std.jsonSchema;
  if (!convert) return schema;
  const memo = new Map<string, Json>();
  const once = (target: string, direction: 'input' | 'output') => {
    const key = `${direction}:${target}`;
    let json = memo.get(key);
    if (!json) memo.set(key, (json = compact(convert[direction]({ target }), io === 'output' && direction === 'output')));
    return json;
  };
  const jsonSchema = { input: (o: { target: string }) => once(o.target, 'input'), output: (o: { target: string }) => once(o.target, 'output') };
  return { ...schema, '~standard': { ...std, jsonSchema } } as unknown as S;
}

function compact(node: unknown, dropClosedObjects: boolean, root = true): Json {
  if (Array.isArray(node)) return node.map((n) => (n && typeof n === 'object' ? compact(n, dropClosedObjects, false) : n)) as unknown as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (root && k === '$schema') continue;
    if (dropClosedObjects && k === 'additionalProperties' && v === false) continue;
    // zod's int() bounds every integer by ±(2^53 − 1): true of any JSON number a client will parse.
    if ((k === 'minimum' && v === Number.MIN_SAFE_INTEGER) || (k === 'maximum' && v === Number.MAX_SAFE_INTEGER)) continue;
    out[k] = v && typeof v === 'object' ? compact(v, dropClosedObjects, false) : v;
  }
  return out;
}
