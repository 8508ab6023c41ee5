import { describe, expect, it } from 'vitest';
import { json, serve } from '../helpers/loopbackServer.js';
import { createGraphClient, type BatchItem } from '../../src/graph/client.js';

const items: BatchItem[] = ['a', 'b', 'c'].map((id) => ({ id, method: 'POST', route: 'POST /copilot/retrieval', url: '/copilot/retrieval', body: { queryString: id } }));

type Req = { id: string };
const ids = (body: string) => (JSON.parse(body) as { requests: Req[] }).requests.map((r) => r.id);

describe('graph client: $batch item retries', () => {
  it('resends only the throttled item after its Retry-After and keeps the other answers', async () => {
    let call = 0;
    const srv = await serve((req, res) => {
      call++;
      json(res, 200, {
        responses: ids(req.body).map((id) =>
          id === 'b' && call === 1
            ? { id, status: 429, headers: { 'Retry-After': '2' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } }
            : { id, status: 200, body: { from: id, call } },
        ),
      });
    });
    const slept: number[] = [];
    const graph = createGraphClient({ baseUrl: srv.baseUrl, getToken: async () => 'tok', batchRetry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, sleep: async (ms) => void slept.push(ms) } });
    const results = await graph.batch(items, { scopes: [] });
    expect(srv.seen.map((s) => ids(s.body))).toEqual([['a', 'b', 'c'], ['b']]);
    expect(slept).toEqual([2000]);
    expect([...results.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect([...results.values()].every((r) => r.ok)).toBe(true);
    expect(results.get('a')).toMatchObject({ body: { from: 'a', call: 1 } });
    expect(results.get('b')).toMatchObject({ body: { from: 'b', call: 2 } });
  });

  it('gives up after maxAttempts with the item error and its attempts; 404 items are never resent', async () => {
    const srv = await serve((req, res) =>
      json(res, 200, { responses: ids(req.body).map((id) => ({ id, status: id === 'a' ? 200 : id === 'b' ? 503 : 404, body: { error: { code: 'x' } } })) }),
    );
    const slept: number[] = [];
    const graph = createGraphClient({
      baseUrl: srv.baseUrl,
      getToken: async () => 'tok',
      batchRetry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, random: () => 1, sleep: async (ms) => void slept.push(ms) },
    });
    const results = await graph.batch(items, { scopes: [] });
    expect(srv.seen.map((s) => ids(s.body))).toEqual([['a', 'b', 'c'], ['b'], ['b']]);
    expect(slept).toEqual([100, 200]);
    expect(results.get('a')).toMatchObject({ ok: true });
    expect(results.get('b')).toMatchObject({ ok: false, status: 503, error: { code: 'ServiceUnavailable', details: { attempts: 3 } } });
    expect(results.get('c')).toMatchObject({ ok: false, status: 404 });
  });

  it('without batchRetry a throttled item is returned as is', async () => {
    const srv = await serve((req, res) => json(res, 200, { responses: ids(req.body).map((id) => ({ id, status: 429, body: {} })) }));
    const results = await createGraphClient({ baseUrl: srv.baseUrl, getToken: async () => 'tok' }).batch(items, { scopes: [] });
    expect(srv.seen).toHaveLength(1);
    expect(results.get('a')).toMatchObject({ ok: false, status: 429 });
  });
});
