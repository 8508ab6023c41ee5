import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { json, serve } from '../helpers/loopbackServer.js';
import { AppError } from '../../src/errors.js';
import { createGraphClient } from '../../src/graph/client.js';
import { GraphError } from '../../src/graph/errors.js';
import { createRetryBudget, retrying, type RetryInfo, type RetryOptions } from '../../src/graph/retryPolicy.js';

/** Fake time: sleeping only moves the clock, so backoff tests take no wall time. */
function fakeTime() {
  const t = { now: 1_000_000, slept: [] as number[] };
  return {
    t,
    clock: () => t.now,
    sleep: async (ms: number) => {
      t.slept.push(ms);
      t.now += ms;
    },
  };
}

function clientWith(baseUrl: string, policy: Partial<RetryOptions> = {}) {
  const time = fakeTime();
  const retries: RetryInfo[] = [];
  const graph = createGraphClient({
    baseUrl,
    getToken: async () => 'tok',
    sendPolicy: retrying({ random: () => 1, sleep: time.sleep, clock: time.clock, onRetry: (i) => retries.push(i), ...policy }),
  });
  const get = (signal?: AbortSignal) => graph.request({ method: 'GET', route: 'GET /copilot/retrieval', path: '/copilot/retrieval', scopes: [], schema: z.unknown(), ...(signal ? { signal } : {}) });
  return { graph, get, time: time.t, retries };
}

const fail = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as AppError);

/** Answers the listed statuses in turn, then 200 forever. */
function script(...steps: [number, Record<string, string>?][]) {
  let i = 0;
  return (_req: unknown, res: Parameters<typeof json>[0]) => {
    const step = steps[i++];
    if (!step) return json(res, 200, { ok: true });
    json(res, step[0], { error: { code: `e${step[0]}`, message: 'try later' } }, step[1] ?? {});
  };
}

describe('retrying', () => {
  it('waits the Retry-After of a 429 and then succeeds', async () => {
    const srv = await serve(script([429, { 'Retry-After': '1' }]));
    const { get, time, retries } = clientWith(srv.baseUrl);
    await expect(get()).resolves.toMatchObject({ data: { ok: true } });
    expect(srv.seen).toHaveLength(2);
    expect(time.slept).toEqual([1000]);
    expect(retries).toEqual([{ attempt: 1, delayMs: 1000, status: 429, code: 'Throttled' }]);
  });

  it('retries 503 twice with capped, fully jittered backoff', async () => {
    const srv = await serve(script([503], [503]));
    const { get, time } = clientWith(srv.baseUrl, { random: () => 0.5, baseDelayMs: 100 });
    await expect(get()).resolves.toMatchObject({ status: 200 });
    expect(srv.seen).toHaveLength(3);
    // random * min(max, base * 2^retry): 0.5 * 100, then 0.5 * 200.
    expect(time.slept).toEqual([50, 100]);
  });

  it('rethrows the last 504 unchanged, with the attempts, once maxAttempts is spent', async () => {
    const srv = await serve(script([504], [504], [504], [504], [504]));
    const { get } = clientWith(srv.baseUrl, { maxAttempts: 3 });
    const err = await fail(get());
    expect(err).toBeInstanceOf(GraphError);
    expect(err).toMatchObject({ code: 'ServiceUnavailable', status: 504, details: { attempts: 3, retryStoppedBy: 'attempts' } });
    expect(err.message).toBe('Graph answered 504 e504: try later');
    expect(err.nextStep).toBe('Graph is temporarily unavailable; retry after 10 s.');
    expect(srv.seen).toHaveLength(3);
  });

  it.each([400, 403, 404, 500])('never retries %i', async (status) => {
    const srv = await serve(script([status]));
    const { get, time } = clientWith(srv.baseUrl);
    const err = await fail(get());
    expect(err).toMatchObject({ status });
    expect(err.details['attempts']).toBeUndefined();
    expect(srv.seen).toHaveLength(1);
    expect(time.slept).toEqual([]);
  });

  it('retries when the server drops the connection', async () => {
    let n = 0;
    const srv = await serve((_req, res) => {
      if (n++ === 0) return res.socket?.destroy();
      json(res, 200, { ok: true });
    });
    const { get, retries } = clientWith(srv.baseUrl);
    await expect(get()).resolves.toMatchObject({ data: { ok: true } });
    expect(srv.seen).toHaveLength(2);
    expect(retries[0]).toMatchObject({ attempt: 1, code: 'NetworkError' });
  });

  it('does not retry a network error that is not a reset (nothing listening would be; a DNS failure is not)', async () => {
    const graph = createGraphClient({
      baseUrl: 'http://graph.invalid',
      getToken: async () => 'tok',
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND graph.invalid'), { code: 'ENOTFOUND' }) });
      },
      sendPolicy: retrying({ sleep: async () => {} }),
    });
    const err = await fail(graph.request({ method: 'GET', route: 'GET /x', path: '/x', scopes: [], schema: z.unknown() }));
    expect(err).toMatchObject({ code: 'NetworkError', details: { errno: 'ENOTFOUND' } });
    expect(err.details['attempts']).toBeUndefined();
  });

  it('does not wait for a Retry-After above the cap: the Throttled error goes out as is', async () => {
    const srv = await serve(script([429, { 'Retry-After': '120' }]));
    const { get, time } = clientWith(srv.baseUrl, { maxRetryAfterMs: 60_000 });
    const err = await fail(get());
    expect(err).toMatchObject({ code: 'Throttled', retryAfterSeconds: 120, details: { attempts: 1, retryStoppedBy: 'retryAfter' } });
    expect(err.nextStep).toBe('Graph is throttling these requests; retry after 120 s.');
    expect(srv.seen).toHaveLength(1);
    expect(time.slept).toEqual([]);
  });

  it('a cancel during the backoff ends the call at once and sends nothing more', async () => {
    const srv = await serve(script([429, { 'Retry-After': '30' }]));
    // The real sleep: it must give way to the abort, not sit out 30 s.
    const graph = createGraphClient({ baseUrl: srv.baseUrl, getToken: async () => 'tok', sendPolicy: retrying() });
    const ctrl = new AbortController();
    const started = Date.now();
    const pending = fail(graph.request({ method: 'GET', route: 'GET /copilot/retrieval', path: '/copilot/retrieval', scopes: [], schema: z.unknown(), signal: ctrl.signal }));
    while (srv.seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    ctrl.abort();
    const err = await pending;
    expect(err).toMatchObject({ code: 'Cancelled', message: 'GET /v1.0/copilot/retrieval was cancelled' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.seen).toHaveLength(1);
  });

  it('never sleeps past the per-call deadline', async () => {
    const srv = await serve((_req, res) => json(res, 503, { error: { code: 'down', message: 'down' } }));
    const { get, time } = clientWith(srv.baseUrl, { maxAttempts: 10, baseDelayMs: 250, deadlineMs: 1000 });
    const err = await fail(get());
    // 250 then 500 fit into 1 s; the next 1000 ms would end at 1750 ms.
    expect(time.slept).toEqual([250, 500]);
    expect(err).toMatchObject({ status: 503, details: { attempts: 3, retryStoppedBy: 'deadline' } });
    expect(srv.seen).toHaveLength(3);
  });

  it('a shared budget stops retries across calls, and successes refill it', async () => {
    let down = true;
    const srv = await serve((_req, res) => (down ? json(res, 503, { error: { code: 'down' } }) : json(res, 200, {})));
    const budget = createRetryBudget({ capacity: 2, refillPerSuccess: 0.5 });
    const { get } = clientWith(srv.baseUrl, { maxAttempts: 10, budget });
    expect(await fail(get())).toMatchObject({ details: { attempts: 3, retryStoppedBy: 'budget' } });
    expect(srv.seen).toHaveLength(3);
    // Empty bucket: the next call fails on its first error.
    expect(await fail(get())).toMatchObject({ details: { attempts: 1, retryStoppedBy: 'budget' } });
    expect(srv.seen).toHaveLength(4);
    down = false;
    await get();
    await get();
    expect(budget.tokens).toBe(1);
    down = true;
    expect(await fail(get())).toMatchObject({ details: { attempts: 2, retryStoppedBy: 'budget' } });
  });

  it('a budget with a per-second floor earns retries back with time, up to its capacity', () => {
    let now = 0;
    const budget = createRetryBudget({ capacity: 3, refillPerSuccess: 0, refillPerSecond: 2, clock: () => now });
    expect([budget.tryTake(), budget.tryTake(), budget.tryTake(), budget.tryTake()]).toEqual([true, true, true, false]);
    now += 400; // 0.8 of a token
    expect(budget.tryTake()).toBe(false);
    now += 100;
    expect(budget.tryTake()).toBe(true);
    now += 60_000;
    expect(budget.tokens).toBe(3);
  });
});
