import { parseJSONRPCMessage, STDIO_DEFAULT_MAX_BUFFER_SIZE, type JSONRPCMessage } from '@modelcontextprotocol/server';

const PARSE_ERROR_ANSWER = `${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the line is not JSON' } })}\n`;

/**
 * The SDK's stdio ReadBuffer, with two differences. The SDK skips a line that is not JSON, and a JSON
 * line that is not an MCP JSON-RPC message (params an array, an id that is an object or a fraction, a
 * batch, a bare number), without a word, and the client then waits forever for an answer. JSON-RPC 2.0
 * (section 5.1) answers the first with -32700 Parse error and the second with -32600 Invalid Request,
 * with the request's id when it is a usable one (a string or an integer) and null otherwise; so do we.
 * A malformed response (result or error, no method) is never answered, as JSON-RPC says of responses:
 * it stays the SDK's to report. A blank line stays the SDK's to ignore. Each line is parsed once (a
 * filter in front of the SDK parsed it twice: about a tenth of a stdio call's CPU). Same size limit and
 * the same error when a line outgrows it.
 */
export class AnsweringReadBuffer {
  private buffer: Buffer | undefined;

  constructor(
    private readonly answer: (response: string) => void,
    private readonly maxBufferSize = STDIO_DEFAULT_MAX_BUFFER_SIZE,
  ) {}

  append(chunk: Buffer): void {
    if ((this.buffer?.length ?? 0) + chunk.length > this.maxBufferSize) {
      this.clear();
      throw new Error(`ReadBuffer exceeded maximum size of ${this.maxBufferSize} bytes`);
    }
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
  }

  readMessage(): JSONRPCMessage | null {
    while (this.buffer) {
      const index = this.buffer.indexOf(0x0a);
      if (index === -1) return null;
      const line = this.buffer.toString('utf8', 0, index);
      this.buffer = this.buffer.subarray(index + 1);
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        if (line.trim() !== '') this.answer(PARSE_ERROR_ANSWER);
        continue;
      }
      try {
        return parseJSONRPCMessage(value);
      } catch (err) {
        const refusal = invalidRequestAnswer(value);
        // A malformed response: thrown, as the SDK does (its transport reports it and reads on).
        if (refusal === undefined) throw err;
        this.answer(refusal);
      }
    }
    return null;
  }

  clear(): void {
    this.buffer = undefined;
  }
}

/**
 * The -32600 answer for a JSON value that is not an MCP JSON-RPC message, or undefined when it looks
 * like a response (those are never answered). The message names the first rule the value breaks, so a
 * client's author sees what to fix (the schema's own error is a union's "Invalid input").
 */
function invalidRequestAnswer(value: unknown): string | undefined {
  const object = isObject(value) ? value : undefined;
  if (object && !('method' in object) && ('result' in object || 'error' in object)) return undefined;
  const id = object && isUsableId(object['id']) ? object['id'] : null;
  const message = Array.isArray(value) ? 'JSON-RPC batches are not part of MCP; send one message per line' : object ? brokenRule(object) : 'a message is a JSON object';
  return `${JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32600, message: `Invalid Request: ${message}` } })}\n`;
}

function brokenRule(m: Record<string, unknown>): string {
  if (m['jsonrpc'] !== '2.0') return '"jsonrpc" must be "2.0"';
  if (typeof m['method'] !== 'string') return '"method" must be a string';
  if ('id' in m && !isUsableId(m['id'])) return '"id" must be a string or an integer';
  const params = m['params'];
  if ('params' in m && !isObject(params)) return '"params" must be an object (MCP takes no positional params)';
  if (isObject(params) && params['_meta'] !== undefined) return '"params._meta" does not match MCP\'s schema (an object; its progressToken a string or an integer)';
  return 'it does not match the schema of MCP messages';
}

/** A JSON object: not null, not an array. */
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An id MCP's JSON-RPC takes, and so one an error answer can carry back: a string or an integer. */
function isUsableId(v: unknown): v is string | number {
  return typeof v === 'string' || Number.isSafeInteger(v);
}
