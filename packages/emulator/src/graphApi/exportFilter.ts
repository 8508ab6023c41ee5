import type { EmuInteraction } from '../model.js';

/**
 * The `$filter` forms the interaction export documents (contract §2.4):
 *   appClass eq '…' [or appClass eq '…']…
 *   createdDateTime gt|ge <ISO> and createdDateTime lt|le <ISO>   (both bounds required)
 * joined with `and`, with optional parentheses. Anything else is a 400 with a message that says
 * what is accepted.
 */
export type InteractionPredicate = (interaction: EmuInteraction, createdMs: number) => boolean;

type Node =
  | { kind: 'and'; left: Node; right: Node }
  | { kind: 'or'; left: Node; right: Node }
  | { kind: 'cmp'; property: 'appClass' | 'createdDateTime'; operator: string; value: string; quoted: boolean };

export class ExportFilterError extends Error {}

const ACCEPTED =
  "Supported: appClass eq '<value>' (several joined with or), and createdDateTime gt|ge <ISO date-time> and createdDateTime lt|le <ISO date-time>, combined with and.";

type Token = { type: 'word' | 'string' | '(' | ')'; text: string };

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ type: ch, text: ch });
      i++;
    } else if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ExportFilterError('Unterminated string literal in $filter.');
        if (text[i] === "'") {
          // OData escapes a quote inside a string by doubling it.
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      tokens.push({ type: 'string', text: value });
    } else {
      const start = i;
      while (i < text.length && !/[\s()']/.test(text[i] as string)) i++;
      tokens.push({ type: 'word', text: text.slice(start, i) });
    }
  }
  return tokens;
}

function parse(text: string): Node {
  const tokens = lex(text);
  let pos = 0;
  const peekWord = (word: string) => {
    const t = tokens[pos];
    return t?.type === 'word' && t.text.toLowerCase() === word;
  };
  const parseOr = (): Node => {
    let left = parseAnd();
    while (peekWord('or')) {
      pos++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parsePrimary();
    while (peekWord('and')) {
      pos++;
      left = { kind: 'and', left, right: parsePrimary() };
    }
    return left;
  };
  const parsePrimary = (): Node => {
    const t = tokens[pos];
    if (t === undefined) throw new ExportFilterError(`The $filter ends unexpectedly. ${ACCEPTED}`);
    if (t.type === '(') {
      pos++;
      const inner = parseOr();
      if (tokens[pos]?.type !== ')') throw new ExportFilterError(`Missing ')' in $filter. ${ACCEPTED}`);
      pos++;
      return inner;
    }
    const property = tokens[pos];
    const operator = tokens[pos + 1];
    const value = tokens[pos + 2];
    if (property?.type !== 'word' || operator?.type !== 'word' || value === undefined || (value.type !== 'word' && value.type !== 'string')) {
      throw new ExportFilterError(`Cannot parse the $filter near '${t.text}'. ${ACCEPTED}`);
    }
    pos += 3;
    const name = property.text.toLowerCase();
    if (name !== 'appclass' && name !== 'createddatetime') {
      throw new ExportFilterError(`Filtering on '${property.text}' is not supported. ${ACCEPTED}`);
    }
    return {
      kind: 'cmp',
      property: name === 'appclass' ? 'appClass' : 'createdDateTime',
      operator: operator.text.toLowerCase(),
      value: value.text,
      quoted: value.type === 'string',
    };
  };
  if (tokens.length === 0) throw new ExportFilterError(`The $filter is empty. ${ACCEPTED}`);
  const tree = parseOr();
  if (pos < tokens.length) throw new ExportFilterError(`Unexpected '${tokens[pos]?.text}' in $filter. ${ACCEPTED}`);
  return tree;
}

/** Throws ExportFilterError (→ 400) for anything outside the documented forms. */
export function compileExportFilter(text: string): InteractionPredicate {
  const tree = parse(text);
  const bounds = { lower: 0, upper: 0 };
  const predicate = compile(tree, false, bounds);
  if (bounds.lower + bounds.upper > 0 && (bounds.lower === 0 || bounds.upper === 0)) {
    throw new ExportFilterError(
      'When filtering on createdDateTime, give both a lower bound (gt or ge) and an upper bound (lt or le), e.g. createdDateTime gt 2025-01-01T00:00:00Z and createdDateTime lt 2025-02-01T00:00:00Z.',
    );
  }
  return predicate;
}

function compile(node: Node, underOr: boolean, bounds: { lower: number; upper: number }): InteractionPredicate {
  if (node.kind === 'and') {
    if (underOr) throw new ExportFilterError(`'or' may only join appClass comparisons; use parentheses around them. ${ACCEPTED}`);
    const left = compile(node.left, false, bounds);
    const right = compile(node.right, false, bounds);
    return (i, ms) => left(i, ms) && right(i, ms);
  }
  if (node.kind === 'or') {
    const left = compile(node.left, true, bounds);
    const right = compile(node.right, true, bounds);
    return (i, ms) => left(i, ms) || right(i, ms);
  }
  if (node.property === 'appClass') {
    if (node.operator !== 'eq') throw new ExportFilterError(`appClass supports only eq, not '${node.operator}'. ${ACCEPTED}`);
    if (!node.quoted) throw new ExportFilterError(`The appClass value must be a quoted string, e.g. appClass eq 'IPM.SkypeTeams.Message.Copilot.BizChat'.`);
    const value = node.value;
    return (i) => i.appClass === value;
  }
  if (underOr) throw new ExportFilterError(`'or' may only join appClass comparisons. ${ACCEPTED}`);
  if (node.quoted) throw new ExportFilterError(`createdDateTime values are not quoted: write createdDateTime ${node.operator} ${node.value}.`);
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(node.value) ? Date.parse(node.value) : Number.NaN;
  if (Number.isNaN(at)) throw new ExportFilterError(`'${node.value}' is not an ISO 8601 date-time with a time zone, e.g. 2025-01-01T00:00:00Z.`);
  switch (node.operator) {
    case 'gt':
      bounds.lower++;
      return (_i, ms) => ms > at;
    case 'ge':
      bounds.lower++;
      return (_i, ms) => ms >= at;
    case 'lt':
      bounds.upper++;
      return (_i, ms) => ms < at;
    case 'le':
      bounds.upper++;
      return (_i, ms) => ms <= at;
    default:
      throw new ExportFilterError(`createdDateTime supports gt, ge, lt and le, not '${node.operator}'. ${ACCEPTED}`);
  }
}
