import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { RetrievalBudgetTracker, countedByGraph } from '../../src/policy/retrievalBudget.js';

const alice = { userId: 'A-1', tenantId: 'T-1', upn: 'alice@contoso.example' };
const bob = { userId: 'B-2', tenantId: 'T-1', upn: 'bob@contoso.example' };
const as = (c: typeof alice | undefined) => async () => c;
const ok = { status: 200 };

function clock(start = Date.parse('2026-11-26T12:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a refusal');
}

describe('retrieval budget', () => {
  it('counts per user over a sliding hour and refuses the call past the limit, naming when it frees up', async () => {
    const t = clock();
    const budget = new RetrievalBudgetTracker(3, t.now);
    expect(await (await budget.begin(as(alice), 1)).settle([ok])).toEqual({ limit: 3, remaining: 2, resetsAt: '2026-11-26T13:00:00.000Z' });
    t.advance(10 * 60_000);
    expect((await (await budget.begin(as(alice), 2)).settle([ok, ok]))?.remaining).toBe(0);
    // Another user has their own budget.
    expect((await (await budget.begin(as(bob), 1)).settle([ok]))?.remaining).toBe(2);

    const err = await refusal(budget.begin(as(alice), 1));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('BudgetExhausted');
    expect(err.message).toContain('2026-11-26T13:00:00.000Z');
    expect(err.message).toContain('alice@contoso.example');
    expect(err.details).toMatchObject({ limit: 3, remaining: 0, resetsAt: '2026-11-26T13:00:00.000Z' });

    // One call leaves the window after an hour; the two made later are still counted.
    t.advance(50 * 60_000);
    expect(budget.status(alice)).toEqual({ limit: 3, remaining: 1, resetsAt: '2026-11-26T13:10:00.000Z' });
    const twoSources = await refusal(budget.begin(as(alice), 2));
    expect(twoSources.message).toMatch(/needs 2 .* only 1 of the 3/);
    expect(twoSources.nextStep).toMatch(/fewer sources/);
  });

  it('a $batch of N sources reserves N and gives back what Graph did not count', async () => {
    const t = clock();
    const budget = new RetrievalBudgetTracker(10, t.now);
    const ticket = await budget.begin(as(alice), 3);
    expect(budget.status(alice).remaining).toBe(7);
    // 403 (scope) and 401 are refused before Graph's budget; a 400 for a bad body is counted.
    expect((await ticket.settle([{ status: 200 }, { status: 403 }, { status: 400 }]))?.remaining).toBe(8);
    expect(countedByGraph(undefined)).toBe(false);
    expect(countedByGraph(503)).toBe(false);
    expect(countedByGraph(404)).toBe(true);
  });

  it('a 429 from Graph blocks the user until its Retry-After', async () => {
    const t = clock();
    const budget = new RetrievalBudgetTracker(200, t.now);
    const status = await (await budget.begin(as(alice), 1)).settle([{ status: 429, retryAfterSeconds: 120 }]);
    expect(status).toEqual({ limit: 200, remaining: 0, resetsAt: '2026-11-26T12:02:00.000Z' });
    const err = await refusal(budget.begin(as(alice), 1));
    expect(err.code).toBe('BudgetExhausted');
    expect(err.message).toMatch(/Graph throttled .* until 2026-11-26T12:02:00.000Z/);
    t.advance(120_001);
    expect((await (await budget.begin(as(alice), 1)).settle([ok]))?.remaining).toBe(199);
  });

  it('a short 429 block is waited out, not refused: the retry and the user\'s other calls go once it ends', async () => {
    const t = clock();
    const slept: number[] = [];
    const budget = new RetrievalBudgetTracker(200, t.now, undefined, async (ms) => {
      slept.push(ms);
      t.advance(ms);
    });
    await (await budget.begin(as(alice), 1)).settle([{ status: 429, retryAfterSeconds: 1 }]);
    expect(budget.status(alice).remaining).toBe(0);
    expect((await (await budget.begin(as(alice), 1)).settle([ok]))?.remaining).toBe(199);
    expect(slept).toEqual([1000]);
    // Longer than SHORT_BLOCK_WAIT_MS: refused at once, nothing slept.
    await (await budget.begin(as(alice), 1)).settle([{ status: 429, retryAfterSeconds: 30 }]);
    expect((await refusal(budget.begin(as(alice), 1))).code).toBe('BudgetExhausted');
    expect(slept).toEqual([1000]);
  });

  it('an unknown caller is counted once the call has signed them in; a call that never reached Graph is not', async () => {
    const t = clock();
    const budget = new RetrievalBudgetTracker(5, t.now);
    let who: typeof alice | undefined;
    const failed = await budget.begin(async () => who, 1);
    expect(await failed.settle([{ status: undefined }])).toBeUndefined();
    const ticket = await budget.begin(async () => who, 2);
    who = alice;
    expect((await ticket.settle([ok, ok]))?.remaining).toBe(3);
  });

  it('refuses a call needing more sources than the whole budget', async () => {
    const budget = new RetrievalBudgetTracker(2);
    const err = await refusal(budget.begin(as(alice), 3));
    expect(err.code).toBe('BudgetExhausted');
    expect(err.nextStep).toMatch(/at most 2 source/);
  });
});
