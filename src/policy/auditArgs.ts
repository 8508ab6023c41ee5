import type { TextRenderer } from './auditText.js';

/** How one argument is recorded: as given (ids, enums, numbers, dates), as free text, or as "was given". */
export type ArgKind = 'value' | 'text' | 'presence';

/**
 * The allow-list of what is recorded of one tool's (or resource's) arguments: part of its own
 * definition. Anything not listed (a new argument) is recorded by name only, never by value, so an
 * argument added later cannot leak into the log. Free text goes through the configured text mode
 * (hash by default).
 */
export type AuditedArguments = Readonly<Record<string, ArgKind>>;

const MAX_VALUE_CHARS = 256;
const MAX_LIST_ITEMS = 25;

export interface ArgumentSummary {
  /** Recorded arguments (values, text per the text mode, `true` for presence-only ones). */
  values: Record<string, unknown>;
  /** Arguments given but recorded by name only (not on the allow-list), or omitted by the text mode. */
  unrecorded?: string[];
}

export function summariseArguments(allowed: AuditedArguments, args: unknown, text: TextRenderer): ArgumentSummary {
  const values: Record<string, unknown> = {};
  const unrecorded: string[] = [];
  if (!args || typeof args !== 'object') return { values };
  for (const [name, value] of Object.entries(args as Record<string, unknown>)) {
    if (value === undefined) continue;
    const kind = Object.hasOwn(allowed, name) ? allowed[name] : undefined;
    if (kind === 'value') values[name] = bounded(value);
    else if (kind === 'presence') values[name] = true;
    else if (kind === 'text' && typeof value === 'string') {
      const rendered = text(value);
      if (rendered === undefined) unrecorded.push(name);
      else values[name] = rendered;
    } else unrecorded.push(name);
  }
  return { values, ...(unrecorded.length ? { unrecorded } : {}) };
}

/** Plain JSON of bounded size: strings cut, lists shortened, nested objects not kept. */
function bounded(value: unknown): unknown {
  if (typeof value === 'string') return value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.slice(0, MAX_LIST_ITEMS).map((v) => (typeof v === 'object' && v !== null ? '[object]' : bounded(v)));
  return '[object]';
}
