import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { faultsFlag } from '../src/commandLine/emulatorFlags.js';
import { startEmulator, type RunningEmulator } from '../src/startEmulator.js';
import { createEmulatorLogger } from '../src/emulatorLogger.js';
import { fixtureTenant, postForm } from './helpers/emulator-identity-helpers.js';
import { emulatorControl } from '../src/controlClient.js';

const ADELE = 'adele.vance@contoso-emu.example';
const MEGAN_ID = 'aaaaaaaa-0000-4000-8000-000000000002';
const GRAPH = 'https://graph.microsoft.com';

describe('emulator Graph fault injection', () => {
  let emu: RunningEmulator;
  let token: string;

  async function setPlan(plan: unknown): Promise<Response> {
    return emulatorControl(emu.descriptor).request(`/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(plan) });
  }

  async function usePlan(plan: unknown): Promise<void> {
    const res = await setPlan(plan);
    expect(res.status, await res.clone().text()).toBe(200);
  }

  function graph(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${emu.descriptor.graphBaseUrl}/v1.0${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
  }

  function batch(requests: unknown[]): Promise<Response> {
    return graph('/$batch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ requests }) });
  }

  beforeAll(async () => {
    // The real router over a small tenant, so fault route keys are the router's own templates.
    emu = await startEmulator({ tenant: fixtureTenant(), autoApproveUpn: ADELE, logger: createEmulatorLogger('silent') });
    const ca = readFileSync(emu.descriptor.caCertPath, 'utf8');
    const { authority, apps } = emu.descriptor;
    const start = (await postForm(`${authority}/oauth2/v2.0/devicecode`, { client_id: apps.publicClient.clientId, scope: `${GRAPH}/User.Read openid` }, ca)).json();
    const res = await postForm(`${authority}/oauth2/v2.0/token`, { grant_type: 'device_code', client_id: apps.publicClient.clientId, device_code: start.device_code }, ca);
    token = res.json().access_token;
  });

  afterAll(async () => {
    await emu?.close();
  });

  beforeEach(async () => {
    await emulatorControl(emu.descriptor).request(`/faults`, { method: 'DELETE' });
    await emulatorControl(emu.descriptor).request(`/stats/reset`, { method: 'POST' });
  });

  it('passes requests untouched without a plan', async () => {
    const res = await graph('/me');
    expect(res.status).toBe(200);
    expect((await res.json()).userPrincipalName).toBe(ADELE);
  });

  it('throttles with the 429 envelope and Retry-After (default 1, configurable)', async () => {
    await usePlan({ routes: { 'GET /me': { throttle: 1 } } });
    const res = await graph('/me');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    const body = await res.json();
    expect(body.error.code).toBe('TooManyRequests');
    expect(body.error.innerError['request-id']).toBe(res.headers.get('request-id'));

    await usePlan({ routes: { 'GET /me': { throttle: 1, retryAfterSec: 7 } } });
    expect((await graph('/me')).headers.get('retry-after')).toBe('7');
  });

  it('answers 503 serviceNotAvailable with Retry-After and 504 GatewayTimeout', async () => {
    await usePlan({ routes: { 'GET /me': { unavailable: 1, retryAfterSec: 2 } } });
    const unavailable = await graph('/me');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('2');
    expect((await unavailable.json()).error.code).toBe('serviceNotAvailable');

    await usePlan({ routes: { '*': { timeout: 1 } } });
    const timeout = await graph('/me');
    expect(timeout.status).toBe(504);
    expect((await timeout.json()).error.code).toBe('GatewayTimeout');
  });

  it('resets the connection without an answer', async () => {
    await usePlan({ routes: { 'GET /me': { reset: 1 } } });
    await expect(graph('/me')).rejects.toThrow();
    expect(emu.stats().graphRequests.byStatus['0']).toBe(1);
  });

  it('adds latency', async () => {
    await usePlan({ routes: { 'GET /me': { slowMs: 200, slowRate: 1 } } });
    const started = performance.now();
    const res = await graph('/me');
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(emu.stats().faults.byKind['slow']).toBe(1);
  });

  it('truncates a 200 body so it no longer parses', async () => {
    await usePlan({ routes: { 'GET /me': { truncated: 1 } } });
    const res = await graph('/me');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow();
    expect(text.startsWith('{')).toBe(true);
  });

  it('answers a 200 of the wrong shape: value not an array, an empty object, or HTML', async () => {
    await usePlan({ routes: { 'GET /me': { wrongShape: 1 } } });
    expect(await (await graph('/me')).json()).toEqual({ value: 'not-an-array' });
    await usePlan({ routes: { 'GET /me': { wrongShape: 1, wrongShapeBody: 'emptyObject' } } });
    expect(await (await graph('/me')).json()).toEqual({});
    await usePlan({ routes: { 'GET /me': { wrongShape: 1, wrongShapeBody: 'html' } } });
    const html = await graph('/me');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toMatch(/^<!DOCTYPE html>/);
  });

  it('is deterministic per seed over 50 requests', async () => {
    const run = async (seed: number): Promise<number[]> => {
      await usePlan({ seed, routes: { '*': { throttle: 0.3, unavailable: 0.2 } } });
      const statuses: number[] = [];
      for (let i = 0; i < 50; i++) statuses.push((await graph(i % 2 === 0 ? '/me' : `/users/${MEGAN_ID}`)).status);
      return statuses;
    };
    const first = await run(42);
    expect(await run(42)).toEqual(first);
    expect(await run(43)).not.toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 429, 503]));
  });

  it('injects only into the first N matching requests with onlyFirst, and a named route wins over "*"', async () => {
    await usePlan({ routes: { 'GET /me': { throttle: 1, onlyFirst: 2 }, '*': { timeout: 1 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await graph('/me')).status);
    expect(statuses).toEqual([429, 429, 200, 200]);
    expect((await graph(`/users/${MEGAN_ID}`)).status).toBe(504);
  });

  it('does not fault unauthenticated requests', async () => {
    await usePlan({ routes: { '*': { throttle: 1 } } });
    expect((await fetch(`${emu.descriptor.graphBaseUrl}/v1.0/me`)).status).toBe(401);
  });

  it('faults $batch items of a named route per item, with their own Retry-After and 424 for dependents', async () => {
    await usePlan({ routes: { 'GET /me': { throttle: 1, onlyFirst: 1, retryAfterSec: 5 } } });
    const res = await batch([
      { id: '1', method: 'GET', url: '/me' },
      { id: '2', method: 'GET', url: '/me' },
      { id: '3', method: 'GET', url: `/users/${MEGAN_ID}`, dependsOn: ['1'] },
      { id: '4', method: 'GET', url: `/users/${MEGAN_ID}` },
    ]);
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(((await res.json()).responses as { id: string }[]).map((r) => [r.id, r])) as Record<string, any>;  
    expect(byId['1'].status).toBe(429);
    expect(byId['1'].headers['Retry-After']).toBe('5');
    expect(byId['1'].body.error.code).toBe('TooManyRequests');
    expect(byId['2'].status).toBe(200);
    expect(byId['3'].status).toBe(424);
    expect(byId['4'].status).toBe(200);
    const stats = emu.stats();
    expect(stats.faults.byRoute['GET /me']).toEqual({ throttle: 1 });
    expect(stats.graphRequests.byRoute['POST /$batch']).toEqual({ '200': 1 });
  });

  it('answers a batch whose every item is faulted without the router, and "*" does not reach items', async () => {
    await usePlan({ routes: { 'GET /users/{id}': { unavailable: 1 } } });
    const res = await batch([{ id: 'a', method: 'GET', url: `/users/${MEGAN_ID}` }]);
    const answer = (await res.json()).responses;
    expect(answer).toHaveLength(1);
    expect(answer[0]).toMatchObject({ id: 'a', status: 503, headers: { 'Retry-After': '1' } });

    await usePlan({ routes: { '*': { throttle: 1, onlyFirst: 0 } } });
    const passed = await batch([{ id: 'a', method: 'GET', url: '/me' }]);
    expect((await passed.json()).responses[0].status).toBe(200);
  });

  it('validates plans on the control route and reads, replaces and clears them', async () => {
    const bad = async (plan: unknown, pattern: RegExp): Promise<void> => {
      const res = await setPlan(plan);
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('badRequest');
      expect(body.error.message).toMatch(pattern);
    };
    await bad({ routes: { 'GET /me': { throttle: 2 } } }, /routes\.GET \/me\.throttle/);
    await bad({ routes: { 'GET /me': { throttle: 0.6, timeout: 0.6 } } }, /must not exceed 1/);
    await bad({ routes: { 'GET /me': { explode: 1 } } }, /explode/);
    await bad({ routes: { 'me please': { throttle: 1 } } }, /route key/);
    await bad({ seed: -1, routes: {} }, /seed/);
    await bad({}, /routes/);
    const notJson = await emulatorControl(emu.descriptor).request(`/faults`, { method: 'POST', body: '{nope' });
    expect(notJson.status).toBe(400);

    await usePlan({ seed: 9, routes: { 'POST /copilot/retrieval': { throttle: 0.5 } } });
    const got = await (await emulatorControl(emu.descriptor).request(`/faults`)).json();
    expect(got.plan).toEqual({ seed: 9, routes: { 'POST /copilot/retrieval': { throttle: 0.5 } } });
    const cleared = await (await emulatorControl(emu.descriptor).request(`/faults/clear`, { method: 'POST' })).json();
    expect(cleared).toEqual({ cleared: true, plan: null });
    expect((await (await emulatorControl(emu.descriptor).request(`/faults`)).json()).plan).toBeNull();
  });

  it('counts injected faults by kind and route', async () => {
    await usePlan({ routes: { 'GET /me': { throttle: 1, onlyFirst: 1 }, 'GET /users/{id}': { timeout: 1, slowMs: 1 } } });
    await graph('/me');
    await graph('/me');
    await graph(`/users/${MEGAN_ID}`);
    const { faults, graphRequests } = emu.stats();
    expect(faults).toEqual({
      total: 3,
      byKind: { throttle: 1, timeout: 1, slow: 1 },
      byRoute: { 'GET /me': { throttle: 1 }, 'GET /users/{id}': { timeout: 1, slow: 1 } },
    });
    expect(graphRequests.byRoute['GET /me']).toEqual({ '429': 1, '200': 1 });
    expect(graphRequests.byRoute['GET /users/{id}']).toEqual({ '504': 1 });
  });
});

describe('fault plan configuration', () => {
  it('takes a plan from EmulatorOptions and refuses an invalid one', async () => {
    await expect(startEmulator({ tenant: fixtureTenant(), faults: { routes: { '*': { throttle: 5 } } } })).rejects.toThrow(/Invalid fault plan/);
    const emu = await startEmulator({ tenant: fixtureTenant(), faults: { seed: 3, routes: { 'GET /me': { reset: 0.5 } } } });
    try {
      expect((await (await emulatorControl(emu.descriptor).request(`/faults`)).json()).plan).toEqual({ seed: 3, routes: { 'GET /me': { reset: 0.5 } } });
    } finally {
      await emu.close();
    }
  });

  it('reads --faults as JSON or @file and rejects bad plans', async () => {
    expect(await faultsFlag({})).toBeUndefined();
    expect(await faultsFlag({ faults: '{"routes":{"*":{"throttle":0.1}}}' })).toEqual({ seed: 1, routes: { '*': { throttle: 0.1 } } });
    const dir = mkdtempSync(join(tmpdir(), 'faults-'));
    try {
      const file = join(dir, 'plan.json');
      writeFileSync(file, '{"seed":5,"routes":{"POST /$batch":{"timeout":1}}}');
      expect(await faultsFlag({ faults: `@${file}` })).toEqual({ seed: 5, routes: { 'POST /$batch': { timeout: 1 } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await expect(faultsFlag({ faults: '{' })).rejects.toThrow(/not valid JSON/);
    await expect(faultsFlag({ faults: '{"routes":{"*":{"slowMs":-1}}}' })).rejects.toThrow(/slowMs/);
    await expect(faultsFlag({ faults: '@/nonexistent/plan.json' })).rejects.toThrow(/cannot read/);
  });
});
