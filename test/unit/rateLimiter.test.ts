import { describe, expect, it } from 'vitest';
import { createGraphClientFactory } from '../../src/composition/graphClients.js';
import { resolveConfig } from '../../src/config/load.js';
import { fetchExportPage, firstPageUrl } from '../../src/graph/copilot/interactionExport.js';
import { createTokenBucket, EXPORT_RATE, type Timers } from '../../src/graph/rateLimiter.js';
import { createLogger } from '../../src/log.js';
import { createGovernance } from '../../src/policy/governance.js';
import { json, serve } from '../helpers/loopbackServer.js';

/** A clock and timers that move only when the test says so: no sleeping, no flakiness. */
function fakeTime() {
  let now = 1_000_000;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    set: (fn, ms) => {
      const id = ++seq;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clear: (id) => void pending.delete(id as number),
  };
  return {
    clock: () => now,
    timers,
    advance(ms: number) {
      now += ms;
    },
    /** Fires the earliest timer (moving the clock to it); false when none is pending. */
    fireNext(): boolean {
      const next = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) return false;
      pending.delete(next[0]);
      now = Math.max(now, next[1].at);
      next[1].fn();
      return true;
    },
    get pending() {
      return pending.size;
    },
  };
}

/** The most grants inside any closed window [t, t + windowMs]. */
function maxInWindow(grants: number[], windowMs: number): number {
  const sorted = [...grants].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! < sorted[i]! - windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('token bucket for the export route', () => {
  it('the export setting never grants more than 30 permits in any 1 s window, however it is asked', () => {
    const t = fakeTime();
    const bucket = createTokenBucket({ ...EXPORT_RATE, clock: t.clock, timers: t.timers });
    const grants: number[] = [];
    // Greedy callers at irregular instants (a seeded walk), taking every permit they can get.
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let step = 0; step < 20_000; step++) {
      while (bucket.tryAcquire() === 0) grants.push(t.clock());
      t.advance(Math.floor(rand() * 40));
      // Now and then sit idle long enough for the bucket to fill up again.
      if (step % 997 === 0) t.advance(5_000);
    }
    expect(grants.length).toBeGreaterThan(5_000);
    expect(maxInWindow(grants, 1000)).toBeLessThanOrEqual(30);
  });

  it('is not stricter than it needs to be: a full bucket plus one second of refill is exactly 30', () => {
    const t = fakeTime();
    const bucket = createTokenBucket({ ...EXPORT_RATE, clock: t.clock, timers: t.timers });
    const grants: number[] = [];
    for (let ms = 0; ms <= 3000; ms++, t.advance(1)) while (bucket.tryAcquire() === 0) grants.push(t.clock());
    expect(maxInWindow(grants, 1000)).toBe(30);
    // Sustained: 6 at once, then 24 per second.
    expect(grants).toHaveLength(6 + 3 * 24);
  });

  it('queued acquirers are served in order at the refill rate, and sustained use stays at 24/s', async () => {
    const t = fakeTime();
    const bucket = createTokenBucket({ ...EXPORT_RATE, clock: t.clock, timers: t.timers });
    const grants: { who: number; at: number }[] = [];
    const all = Array.from({ length: 300 }, (_, who) => bucket.acquire().then(() => grants.push({ who, at: t.clock() })));
    await flush();
    expect(grants).toHaveLength(EXPORT_RATE.burst); // the burst at once, the rest wait
    while (grants.length < 300) {
      expect(t.fireNext()).toBe(true);
      await flush();
    }
    await Promise.all(all);
    expect(grants.map((g) => g.who)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(maxInWindow(grants.map((g) => g.at), 1000)).toBeLessThanOrEqual(30);
    const spanMs = grants.at(-1)!.at - grants[0]!.at;
    // 294 permits after the burst at 24/s: 12.25 s (timers round up to whole ms).
    expect(spanMs).toBeGreaterThanOrEqual(12_250);
    expect(spanMs).toBeLessThan(12_250 + 300);
    expect(t.pending).toBe(0);
  });

  it('a cancelled waiter leaves the queue at once with Cancelled, and the others keep their turn', async () => {
    const t = fakeTime();
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 1, clock: t.clock, timers: t.timers });
    await bucket.acquire();
    const ctl = new AbortController();
    const cancelled = bucket.acquire(ctl.signal);
    const next = bucket.acquire();
    expect(bucket.waiting).toBe(2);
    ctl.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'Cancelled' });
    expect(bucket.waiting).toBe(1);
    t.fireNext();
    await next;
    expect(bucket.waiting).toBe(0);
    // Already aborted: refused without queueing.
    await expect(bucket.acquire(AbortSignal.abort())).rejects.toMatchObject({ code: 'Cancelled' });
  });

  it('a newcomer does not jump the queue through tryAcquire', async () => {
    const t = fakeTime();
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 1, clock: t.clock, timers: t.timers });
    expect(bucket.tryAcquire()).toBe(0);
    const waiter = bucket.acquire();
    t.advance(500); // tokens are back, but the waiter came first
    expect(bucket.tryAcquire()).toBeGreaterThan(0);
    t.fireNext();
    await waiter;
  });

  it('is one limiter for every app-only client of a process: two clients together get one burst', async () => {
    const hits: number[] = [];
    const srv = await serve((_req, res) => {
      hits.push(Date.now());
      json(res, 200, { value: [] });
    });
    {
      const config = resolveConfig({ stateDir: '/tmp/unused', graphMaxAttempts: 1 });
      const endpoints = { graphBaseUrl: srv.baseUrl } as Parameters<typeof createGraphClientFactory>[1];
      const graphFor = createGraphClientFactory(config, endpoints, createLogger('silent'), createGovernance(config, createLogger('silent')));
      const tokens = { getToken: async () => ({ accessToken: 'app-token', expiresOn: undefined, scopes: [] }) };
      const [a, b] = [graphFor('app', tokens, async () => ({ userId: 'a', tenantId: 't' })), graphFor('app', tokens, async () => ({ userId: 'b', tenantId: 't' }))];
      const started = Date.now();
      const pages = Array.from({ length: 12 }, (_, i) => fetchExportPage(i % 2 ? a : b, firstPageUrl(srv.baseUrl, `u${i}`, undefined), AbortSignal.timeout(10_000)));
      await Promise.all(pages);
      // A burst of 6, then 24 per second: however slow this machine, no more than 7 can arrive within 40 ms.
      expect(hits.filter((t) => t - started < 40).length).toBeLessThanOrEqual(7);
      expect(hits).toHaveLength(12);
    }
  });

  it('serves waiting callers in turn: one caller\'s backlog does not delay another behind it (finding 4)', async () => {
    const t = fakeTime();
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 1, clock: t.clock, timers: t.timers });
    expect(bucket.tryAcquire()).toBe(0);
    const order: string[] = [];
    const scanner = Array.from({ length: 10 }, (_, i) => bucket.acquire(undefined, 'user-a').then(() => order.push(`a${i}`)));
    const admin = bucket.acquire(undefined, 'admin').then(() => order.push('admin'));
    while (order.length < 11 && t.fireNext()) await Promise.resolve();
    await Promise.all([...scanner, admin]);
    // The admin arrived after ten of user-a's requests and is served second, not eleventh.
    expect(order.indexOf('admin')).toBe(1);
    expect(order.filter((o) => o !== 'admin')).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`));
  });

  it('refuses settings that could never grant a permit', () => {
    expect(() => createTokenBucket({ ratePerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => createTokenBucket({ ratePerSecond: 1, burst: 0.5 })).toThrow(RangeError);
  });
});
