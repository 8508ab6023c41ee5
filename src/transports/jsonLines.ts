import { Transform, type TransformCallback } from 'node:stream';

/** The SDK's own read buffer limit: a longer line is handed through so the SDK ends the connection as it does today. */
const MAX_LINE_BYTES = 10 * 1024 * 1024;

/**
 * Stands between stdin and the SDK's stdio transport, which skips a line that is not JSON without
 * a word: the client then waits forever for an answer. Each complete line that does not parse is
 * answered here with the JSON-RPC parse error (id null, as JSON-RPC 2.0 specifies for an unreadable
 * request) and not passed on; every other line goes through unchanged.
 */
export function answeringParseErrors(answer: (response: string) => void): Transform {
  let pending: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let start = 0;
      for (let end = pending.indexOf(0x0a, start); end !== -1; end = pending.indexOf(0x0a, start)) {
        const line = pending.subarray(start, end + 1);
        if (parses(line)) this.push(line);
        else answer(`${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the line is not JSON' } })}\n`);
        start = end + 1;
      }
      pending = pending.subarray(start);
      if (pending.length > MAX_LINE_BYTES) {
        this.push(pending);
        pending = Buffer.alloc(0);
      }
      done();
    },
    flush(done: TransformCallback) {
      if (pending.length) this.push(pending);
      done();
    },
  });
}

function parses(line: Buffer): boolean {
  const text = line.toString('utf8').trim();
  if (text === '') return true; // blank lines are the SDK's to ignore
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
