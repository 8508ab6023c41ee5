import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { json, serve } from '../helpers/loopbackServer.js';
import { AppError } from '../../src/errors.js';
import { circuitBreaker, routeKey } from '../../src/graph/circuitBreaker.js';
import { createGraphClient } from '../../src/graph/client.js';
import { retrying } from '../../src/graph/retryPolicy.js';

const fail = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as AppError);

async function setup() {
  const state = { status: 500, now: 5_000_000 };
  const srv = await serve((_req, res) => json(res, state.status, state.status === 200 ? { ok: true } : { error: { code: `e${state.status}` } }));
  const graph = createGraphClient({
    baseUrl: srv.baseUrl,
    getToken: async () => 'tok',
    sendPolicy: circuitBreaker({ key: routeKey, failureThreshold: 3, openMs: 30_000, clock: () => state.now }),
  });
  // The route template is what the breaker keys on: each distinct template stands for one API.
  const get = (path = '/copilot/retrieval/x') => graph.request({ method: 'GET', route: `GET ${path}`, path, scopes: [], schema: z.unknown() });
  return { srv, state, get };
}

describe('circuitBreaker', () => {
  it('opens after N failures, answers at once without sending, and a successful half-open probe closes it', async () => {
    const { srv, state, get } = await setup();
    for (let i = 0; i < 3; i++) expect(await fail(get())).toMatchObject({ status: 500 });
    expect(srv.seen).toHaveLength(3);

    state.now += 10_000;
    const err = await fail(get());
    expect(err).toMatchObject({
      code: 'ServiceUnavailable',
      message: `Graph ${new URL(srv.baseUrl).host} GET /copilot/retrieval/x is failing; requests are paused for 20 s`,
      nextStep: 'retry after 20 s',
      details: { circuit: 'open', retryAfterSeconds: 20 },
    });
    expect(srv.seen).toHaveLength(3);
    // Another API on the same host has its own circuit.
    expect(await fail(get('/copilot/users/u1'))).toMatchObject({ status: 500 });
    expect(srv.seen).toHaveLength(4);

    state.now += 20_000;
    state.status = 200;
    await expect(get()).resolves.toMatchObject({ status: 200 });
    await expect(get()).resolves.toMatchObject({ status: 200 });
    expect(srv.seen).toHaveLength(6);
  });

  it('a failed probe re-opens the circuit for another openMs', async () => {
    const { srv, state, get } = await setup();
    for (let i = 0; i < 3; i++) await fail(get());
    state.now += 30_000;
    state.status = 503;
    expect(await fail(get())).toMatchObject({ status: 503 });
    expect(srv.seen).toHaveLength(4);
    expect(await fail(get())).toMatchObject({ details: { circuit: 'open', retryAfterSeconds: 30 } });
    expect(srv.seen).toHaveLength(4);
  });

  it('4xx answers other than 429 count as the service working', async () => {
    const { srv, state, get } = await setup();
    await fail(get());
    await fail(get());
    state.status = 404;
    await fail(get());
    state.status = 500;
    await fail(get());
    await fail(get());
    // Two failures since the 404: still closed.
    expect(await fail(get())).toMatchObject({ status: 500 });
    expect(srv.seen).toHaveLength(6);
    expect(await fail(get())).toMatchObject({ details: { circuit: 'open' } });
  });

  it('throttling (429) never opens the circuit: Graph is up and says when to come back', async () => {
    const { srv, state, get } = await setup();
    state.status = 429;
    for (let i = 0; i < 10; i++) expect(await fail(get())).toMatchObject({ status: 429 });
    expect(srv.seen).toHaveLength(10);
    // Nor do 429s interrupt a run of real failures.
    state.status = 500;
    await fail(get());
    await fail(get());
    state.status = 429;
    await fail(get());
    state.status = 500;
    await fail(get());
    expect(await fail(get())).toMatchObject({ details: { circuit: 'open' } });
  });

  it('composes with retrying: one exhausted retry series counts as one failure', async () => {
    const state = { now: 0 };
    const srv = await serve((_req, res) => json(res, 503, { error: { code: 'down' } }));
    const graph = createGraphClient({
      baseUrl: srv.baseUrl,
      getToken: async () => 'tok',
      sendPolicy: (send) => circuitBreaker({ key: routeKey, failureThreshold: 2, clock: () => state.now })(retrying({ maxAttempts: 2, sleep: async () => {}, random: () => 0 })(send)),
    });
    const get = () => graph.request({ method: 'GET', route: 'GET /copilot/retrieval', path: '/copilot/retrieval', scopes: [], schema: z.unknown() });
    expect(await fail(get())).toMatchObject({ status: 503, details: { attempts: 2 } });
    expect(await fail(get())).toMatchObject({ status: 503 });
    expect(await fail(get())).toMatchObject({ details: { circuit: 'open' } });
    expect(srv.seen).toHaveLength(4);
  });
});

describe('circuit breaker keys (finding 4)', () => {
  it('keys on the route template, not the path, so distinct ids cannot grow its state', () => {
    const at = (path: string) => ({ method: 'GET' as const, url: new URL(`https://graph.microsoft.com/v1.0${path}`), route: 'GET /users/{id}', scopes: [] });
    expect(routeKey(at(`/users/${'a'.repeat(1000)}@x.example`))).toBe(routeKey(at('/users/someone@x.example')));
    expect(routeKey(at('/users/u1'))).toBe('graph.microsoft.com GET /users/{id}');
  });
});
