import { parseJSONRPCMessage, STDIO_DEFAULT_MAX_BUFFER_SIZE, type JSONRPCMessage } from '@modelcontextprotocol/server';

const PARSE_ERROR_ANSWER = `${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the line is not JSON' } })}\n`;

/**
 * The SDK's stdio ReadBuffer, with one difference: the SDK skips a line that is not JSON without a
 * word, and the client then waits forever for an answer. Such a line is answered here with the
 * JSON-RPC parse error (id null, as JSON-RPC 2.0 specifies for an unreadable request); a blank line
 * stays the SDK's to ignore. Each line is parsed once (a filter in front of the SDK parsed it twice:
 * about a tenth of a stdio call's CPU). Same size limit and the same error when a line outgrows it.
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
      // Not a JSON-RPC message: thrown, as the SDK does (its transport reports it and reads on).
      return parseJSONRPCMessage(value);
    }
    return null;
  }

  clear(): void {
    this.buffer = undefined;
  }
}
