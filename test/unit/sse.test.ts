import { describe, expect, it } from 'vitest';
import { sseData } from '../../src/graph/sse.js';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  return new ReadableStream({
    pull(controller) {
      const next = bytes.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

describe('sseData', () => {
  it('yields each event as it completes, across chunk boundaries, CRLF and multi-line data; comments and an unterminated last event ignored', async () => {
    const out: string[] = [];
    for await (const d of sseData(streamOf([': keep-alive\n\nda', 'ta: {"a":1}\n', '\nevent: message\r\ndata: line one\r\ndata: line two\r\n\r\n', 'data:{"é":"ü"}']))) out.push(d);
    expect(out).toEqual(['{"a":1}', 'line one\nline two']);
  });

  it('splits a multi-byte character across chunks without damage', async () => {
    const whole = new TextEncoder().encode('data: é\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(whole.slice(0, 7));
        c.enqueue(whole.slice(7));
        c.close();
      },
    });
    const out: string[] = [];
    for await (const d of sseData(stream)) out.push(d);
    expect(out).toEqual(['é']);
  });
});
