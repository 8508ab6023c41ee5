/**
 * The KQL subset Retrieval documents for `filterExpression`: property restrictions
 * (`prop:value`, `prop:"quoted value"`, `prop:val*`, `=`, `<>`, `>`, `>=`, `<`, `<=`) combined with
 * AND / OR / NOT (any case), implicit AND between adjacent terms, and parentheses.
 * Precedence: NOT binds tightest, then AND, then OR. Free-text terms are not part of a filter.
 */
export type KqlOperator = ':' | '=' | '<>' | '>' | '>=' | '<' | '<=';

export type KqlNode =
  | { kind: 'and'; left: KqlNode; right: KqlNode }
  | { kind: 'or'; left: KqlNode; right: KqlNode }
  | { kind: 'not'; operand: KqlNode }
  | { kind: 'restriction'; property: string; operator: KqlOperator; value: string; quoted: boolean; prefix: boolean };

export class KqlSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} (at character ${position + 1})`);
    this.name = 'KqlSyntaxError';
  }
}

type Token =
  | { type: '(' | ')' | 'AND' | 'OR' | 'NOT'; at: number }
  | { type: 'restriction'; at: number; node: Extract<KqlNode, { kind: 'restriction' }> };

const PROPERTY_CHAR = /[A-Za-z0-9_.]/;
const OPERATORS: readonly KqlOperator[] = ['>=', '<=', '<>', ':', '=', '>', '<'];

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= text.length) return tokens;
    const ch = text[i] as string;
    if (ch === '(' || ch === ')') {
      tokens.push({ type: ch, at: i });
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && PROPERTY_CHAR.test(text[i] as string)) i++;
    if (i === start) throw new KqlSyntaxError(`unexpected character '${ch}'`, i);
    const word = text.slice(start, i);
    let j = i;
    while (j < text.length && text[j] === ' ') j++;
    const operator = OPERATORS.find((op) => text.startsWith(op, j));
    if (operator === undefined) {
      const keyword = word.toUpperCase();
      if (keyword === 'AND' || keyword === 'OR' || keyword === 'NOT') {
        tokens.push({ type: keyword, at: start });
        continue;
      }
      throw new KqlSyntaxError(`free-text term '${word}' is not a property restriction`, start);
    }
    i = j + operator.length;
    skipSpace();
    const { value, quoted, end } = readValue(text, i);
    i = end;
    const prefix = value.endsWith('*');
    const bare = prefix ? value.slice(0, -1) : value;
    if (bare.trim().length === 0) throw new KqlSyntaxError(`missing value for '${word}'`, start);
    tokens.push({ type: 'restriction', at: start, node: { kind: 'restriction', property: word, operator, value: bare, quoted, prefix } });
  }
}

function readValue(text: string, from: number): { value: string; quoted: boolean; end: number } {
  if (text[from] === '"') {
    const close = text.indexOf('"', from + 1);
    if (close < 0) throw new KqlSyntaxError('unterminated quoted value', from);
    let value = text.slice(from + 1, close);
    let end = close + 1;
    // `prop:"value"*` is a prefix match, like `prop:"value*"`.
    if (text[end] === '*') {
      value += '*';
      end++;
    }
    return { value, quoted: true, end };
  }
  let end = from;
  while (end < text.length && !/[\s()]/.test(text[end] as string)) end++;
  if (end === from) throw new KqlSyntaxError('missing value', from);
  return { value: text.slice(from, end), quoted: false, end };
}

/** Throws KqlSyntaxError when the text is not in the supported subset. */
export function parseKql(text: string): KqlNode {
  const tokens = lex(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const where = () => peek()?.at ?? text.length;

  const parseOr = (): KqlNode => {
    let left = parseAnd();
    while (peek()?.type === 'OR') {
      pos++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): KqlNode => {
    let left = parseUnary();
    for (;;) {
      const next = peek();
      if (next?.type === 'AND') {
        pos++;
      } else if (next === undefined || next.type === 'OR' || next.type === ')') {
        return left;
      }
      // Adjacent terms without an operator are an implicit AND.
      left = { kind: 'and', left, right: parseUnary() };
    }
  };
  const parseUnary = (): KqlNode => {
    const token = peek();
    if (token === undefined) throw new KqlSyntaxError('unexpected end of filter', text.length);
    pos++;
    switch (token.type) {
      case 'NOT':
        return { kind: 'not', operand: parseUnary() };
      case '(': {
        const inner = parseOr();
        if (peek()?.type !== ')') throw new KqlSyntaxError("missing ')'", where());
        pos++;
        return inner;
      }
      case 'restriction':
        return token.node;
      default:
        throw new KqlSyntaxError(`unexpected '${token.type}'`, token.at);
    }
  };

  if (tokens.length === 0) throw new KqlSyntaxError('empty filter', 0);
  const tree = parseOr();
  if (pos < tokens.length) throw new KqlSyntaxError(`unexpected '${peek()?.type}'`, where());
  return tree;
}
