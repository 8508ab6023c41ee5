import type { ToolDefinition } from '../tools/tool.js';
import { advertised } from './advertisedSchemas.js';

/**
 * zod 4 runs length checks (min/max) even on a value of the wrong type, and throws a TypeError when
 * that value's `length` cannot be compared: `{"query": {"length": {}}}`. The SDK would answer with the
 * bare "Cannot convert object to primitive value"; this answers the usual validation error naming the
 * argument instead. The listed JSON Schema is the tool's own (same `~standard.jsonSchema`).
 */
export function guardedInput<S extends ToolDefinition['input']>(schema: S): S {
  const std = schema['~standard'];
  // zod's validate turns such a throw into a rejected promise; find the argument(s) whose own schema rejects.
  const throwsFor = async (key: string, value: unknown): Promise<boolean> => {
    try {
      await schema.shape[key]?.['~standard'].validate(value);
      return false;
    } catch {
      return true;
    }
  };
  const refusal = async (value: unknown) => {
    const args = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    const keys = Object.keys(schema.shape).filter((key) => Object.hasOwn(args, key));
    const flags = await Promise.all(keys.map((key) => throwsFor(key, args[key])));
    const bad = keys.filter((_, i) => flags[i]);
    const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
    return {
      issues: bad.length
        ? bad.map((key) => ({ message: `Invalid input: received ${kind(args[key])} of an unusable shape`, path: [key] }))
        : [{ message: 'Invalid input: the arguments could not be validated' }],
    };
  };
  const validate: typeof std.validate = (value) => {
    const illFormed = loneSurrogates(schema, value);
    if (illFormed.length) return { issues: illFormed };
    try {
      const result = std.validate(value);
      return result instanceof Promise ? result.catch(() => refusal(value)) : result;
    } catch {
      return refusal(value);
    }
  };
  return { '~standard': { ...std, validate } } as unknown as S;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * JSON may carry a lone surrogate ("\ud800"), but it is no text: encodeURIComponent throws on it (a
 * URIError from a tool building a Graph path) and Graph could not read it. Refused with the others, by
 * path. Tool arguments are strings or arrays of strings, so one level of arrays is looked into.
 */
function loneSurrogates(schema: ToolDefinition['input'], value: unknown): { message: string; path: (string | number)[] }[] {
  if (value === null || typeof value !== 'object') return [];
  const issues: { message: string; path: (string | number)[] }[] = [];
  const message = 'Invalid input: not well-formed Unicode text (it contains a lone surrogate)';
  for (const key of Object.keys(schema.shape)) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string' && LONE_SURROGATE.test(v)) issues.push({ message, path: [key] });
    else if (Array.isArray(v)) v.forEach((item, i) => typeof item === 'string' && LONE_SURROGATE.test(item) && issues.push({ message, path: [key, i] }));
  }
  return issues;
}

interface PreparedSchemas {
  /** What the SDK sees: the tool's JSON Schema, and a validation that lets every object through to the handler. */
  input: ToolDefinition['input'];
  output: ToolDefinition['output'];
  /** The real validation (the tool's schema, guarded), run by the handler so a refusal is audited and coded. */
  validate: (args: unknown) => Promise<{ value: Record<string, unknown> } | { issues: readonly ValidationIssue[] }>;
}

export interface ValidationIssue {
  message: string;
  path?: readonly (PropertyKey | { key: PropertyKey })[] | undefined;
}
const preparedByTool = new WeakMap<ToolDefinition, PreparedSchemas>();

/**
 * Per tool and process, not per server instance: buildServer runs for every HTTP request, and the
 * SDK converts schemas to JSON Schema per instance; `advertised` memoises that conversion.
 */
export function preparedSchemas(tool: ToolDefinition): PreparedSchemas {
  let prepared = preparedByTool.get(tool);
  if (!prepared) {
    const guarded = guardedInput(tool.input)['~standard'];
    const validate: PreparedSchemas['validate'] = async (args) => {
      const result = await guarded.validate(args ?? {});
      return result.issues ? { issues: result.issues } : { value: result.value as Record<string, unknown> };
    };
    preparedByTool.set(tool, (prepared = { input: advertised(passThrough(tool.input), 'input'), output: advertised(tool.output, 'output'), validate }));
  }
  return prepared;
}

/**
 * The tool's schema as the SDK advertises it, whose validation accepts anything: the handler
 * validates for real, so a refused call still gets its audit record and an InvalidArgument error
 * that names the argument and the next step (the SDK's own refusal would leave neither).
 */
function passThrough<S extends ToolDefinition['input']>(schema: S): S {
  const std = schema['~standard'];
  const validate: typeof std.validate = (value) => ({ value: value as never });
  return { '~standard': { ...std, validate } } as unknown as S;
}
