import { GraphError } from '../graph/errors.js';
import { ROUTES } from '../graph/copilot/routes.js';
import type { RoutePolicy } from '../graph/routePolicies.js';
import type { RawAnswer } from '../graph/transport.js';
import { instruments } from '../telemetry/instruments.js';
import type { BudgetCaller, RetrievalBudgetCounter, RetrievalCallOutcome } from './retrievalBudget.js';

/**
 * The per-user Copilot Retrieval budget as a policy of its route: every attempt (a single request,
 * or a $batch with retrieval items, one count per item) reserves before anything is sent and is
 * refused with BudgetExhausted when the budget is spent; afterwards it counts what Graph counted.
 * It runs after the token is acquired, so the caller is known even for calls racing the first sign-in.
 */
export function retrievalBudgetPolicy(tracker: RetrievalBudgetCounter, caller: () => Promise<BudgetCaller | undefined>): RoutePolicy {
  return {
    routes: [ROUTES.retrieval],
    async attempt(ex, send) {
      const units = ex.units ? ex.units.filter((u) => u.route === ROUTES.retrieval).map((u) => u.id) : undefined;
      const ticket = await tracker.begin(caller, units?.length ?? 1, ex.signal);
      let outcomes: RetrievalCallOutcome[] = (units ?? ['']).map(() => ({ status: undefined }));
      try {
        const answer = await send(ex);
        outcomes = units ? batchOutcomes(answer, units) : [{ status: answer.status }];
        return answer;
      } catch (err) {
        // Graph answered (and may have counted) a refusal; a reset or a timeout says nothing.
        if (err instanceof GraphError) outcomes = outcomes.map(() => ({ status: err.status, retryAfterSeconds: err.retryAfterSeconds }));
        throw err;
      } finally {
        const left = await ticket.settle(outcomes);
        if (left) instruments().budgetRemaining.record(left.remaining);
      }
    },
  };
}

/** Each retrieval item's own status inside a $batch answer (an item Graph did not answer counts as not answered). */
function batchOutcomes(answer: RawAnswer, ids: string[]): RetrievalCallOutcome[] {
  let responses: { id?: unknown; status?: unknown; headers?: Record<string, unknown> }[] = [];
  try {
    const parsed = JSON.parse(answer.bodyText) as { responses?: unknown };
    if (Array.isArray(parsed.responses)) responses = parsed.responses as typeof responses;
  } catch {
    // A broken batch body: the client reports it; Graph still counted what it ran, which we cannot see.
    return ids.map(() => ({ status: answer.status }));
  }
  return ids.map((id) => {
    const r = responses.find((x) => String(x.id).toLowerCase() === id.toLowerCase());
    const status = typeof r?.status === 'number' ? r.status : undefined;
    const retryAfter = Number(Object.entries(r?.headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after')?.[1]);
    return { status, ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) };
  });
}
