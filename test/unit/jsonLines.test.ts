import { describe, expect, it } from 'vitest';
import { AnsweringReadBuffer } from '../../src/transports/jsonLines.js';

/** Feeds lines to the stdio read buffer; returns what it hands the SDK and what it answered itself. */
function read(...lines: string[]): { messages: unknown[]; answers: { id: unknown; error: { code: number; message: string } }[]; thrown: unknown[] } {
  const answers: string[] = [];
  const buffer = new AnsweringReadBuffer((a) => answers.push(a));
  buffer.append(Buffer.from(lines.map((l) => `${l}\n`).join('')));
  const messages: unknown[] = [];
  const thrown: unknown[] = [];
  // As the SDK's transport reads: until null, a throw reported and reading going on.
  for (;;) {
    try {
      const m = buffer.readMessage();
      if (m === null) break;
      messages.push(m);
    } catch (err) {
      thrown.push(err);
    }
  }
  return { messages, thrown, answers: answers.map((a) => JSON.parse(a) as { id: unknown; error: { code: number; message: string } }) };
}

describe('the stdio read buffer answers what the SDK would leave unanswered (JSON-RPC 2.0, section 5.1)', () => {
  it('hands MCP messages through untouched and ignores blank lines', () => {
    const r = read('{"jsonrpc":"2.0","id":1,"method":"ping"}', '', '  ', '{"jsonrpc":"2.0","method":"notifications/initialized"}');
    expect(r.messages).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ]);
    expect(r.answers).toEqual([]);
  });

  it('a line that is not JSON: -32700 with id null', () => {
    expect(read('{"jsonrpc":').answers).toEqual([{ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the line is not JSON' } }]);
  });

  it('a request MCP cannot take: -32600 with its id when that id is usable, null otherwise, and reading goes on', () => {
    const r = read(
      '{"jsonrpc":"2.0","id":7,"method":"tools/list","params":[1,2]}',
      '{"jsonrpc":"2.0","id":"a","method":5}',
      '{"jsonrpc":"2.0","id":1.5,"method":"ping"}',
      '{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}',
      '[{"jsonrpc":"2.0","id":2,"method":"ping"}]',
      '42',
      '{"jsonrpc":"2.0","id":3,"method":"ping"}',
    );
    expect(r.answers.map((a) => [a.id, a.error.code])).toEqual([
      [7, -32600],
      ['a', -32600],
      [null, -32600],
      [null, -32600],
      [null, -32600],
      [null, -32600],
    ]);
    // Each names the rule broken, for the client's author.
    expect(r.answers.map((a) => a.error.message)).toEqual([
      'Invalid Request: "params" must be an object (MCP takes no positional params)',
      'Invalid Request: "method" must be a string',
      'Invalid Request: "id" must be a string or an integer',
      'Invalid Request: "id" must be a string or an integer',
      'Invalid Request: JSON-RPC batches are not part of MCP; send one message per line',
      'Invalid Request: a message is a JSON object',
    ]);
    expect(r.messages).toEqual([{ jsonrpc: '2.0', id: 3, method: 'ping' }]);
    expect(r.thrown).toEqual([]);
  });

  it('a request whose _meta MCP refuses is answered too, naming _meta', () => {
    const r = read('{"jsonrpc":"2.0","id":4,"method":"ping","params":{"_meta":{"progressToken":{"x":1}}}}');
    expect(r.answers).toEqual([{ jsonrpc: '2.0', id: 4, error: { code: -32600, message: expect.stringMatching(/"params\._meta" does not match/) as unknown as string } }]);
  });

  it('a malformed response is not answered (JSON-RPC never answers responses): the SDK reports it', () => {
    const r = read('{"jsonrpc":"2.0","id":{"x":1},"result":{}}', '{"jsonrpc":"2.0","id":9,"error":"bad"}');
    expect(r.answers).toEqual([]);
    expect(r.thrown).toHaveLength(2);
  });
});
