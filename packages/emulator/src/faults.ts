import { mulberry32 } from './data/prng.js';
import {
  FAULT_KINDS,
  knownRoute,
  parseFaultPlan,
  routeMatcher,
  type FaultKind,
  type FaultPlan,
  type FaultRule,
  type ParsedFaultPlan,
  type RouteMatcher,
} from './faultPlan.js';
import type { EmulatorStats } from './stats.js';

export { parseFaultPlan, FaultPlanSchema, type FaultPlan, type FaultRule, type FaultKind } from './faultPlan.js';

/** What to do to one request (or one batch item). */
export interface FaultDecision {
  /** Stats key: the router template when known, else the plan key that matched. */
  route: string;
  kind?: FaultKind;
  slowMs: number;
  retryAfterSec: number;
  wrongShapeBody: NonNullable<FaultRule['wrongShapeBody']>;
}

interface CompiledRule {
  key: string;
  /** Absent for "*". */
  matcher?: RouteMatcher;
  rule: FaultRule;
  seen: number;
}

/**
 * Decides faults for Graph requests from a seeded PRNG, two draws per matching request in
 * arrival order (fault, then latency), so a replayed request sequence meets the same faults.
 */
export class FaultInjector {
  private plan: ParsedFaultPlan | undefined;
  private rules: CompiledRule[] = [];
  private wildcard: CompiledRule | undefined;
  private random: () => number = Math.random;

  constructor(
    private readonly stats: EmulatorStats,
    plan?: FaultPlan,
  ) {
    if (plan !== undefined) {
      const parsed = parseFaultPlan(plan);
      if (!parsed.ok) throw new RangeError(parsed.message);
      this.set(parsed.plan);
    }
  }

  /** Replaces the plan and restarts the PRNG and the onlyFirst counters. */
  set(plan: ParsedFaultPlan): void {
    this.plan = plan;
    this.random = mulberry32(plan.seed);
    const compiled: CompiledRule[] = Object.entries(plan.routes).map(([key, rule]) => ({
      key,
      ...(key === '*' ? {} : { matcher: routeMatcher(key) }),
      rule,
      seen: 0,
    }));
    this.wildcard = compiled.find((r) => r.matcher === undefined);
    this.rules = compiled.filter((r) => r.matcher !== undefined);
  }

  clear(): void {
    this.plan = undefined;
    this.rules = [];
    this.wildcard = undefined;
  }

  current(): ParsedFaultPlan | undefined {
    return this.plan === undefined ? undefined : structuredClone(this.plan);
  }

  /** Whether some rule names a route other than "*" (only those apply to batch items). */
  hasNamedRoutes(): boolean {
    return this.rules.length > 0;
  }

  /** A top-level request: a named rule wins over "*". */
  decide(method: string, path: string): FaultDecision | undefined {
    const named = this.rules.find((r) => r.matcher?.test(method, path) === true);
    return this.draw(named ?? this.wildcard, method, path);
  }

  /** A `$batch` item: only rules naming a route apply, so "*" does not fault a batch twice. */
  decideItem(method: string, path: string): FaultDecision | undefined {
    return this.draw(
      this.rules.find((r) => r.matcher?.test(method, path) === true),
      method,
      path,
    );
  }

  private draw(compiled: CompiledRule | undefined, method: string, path: string): FaultDecision | undefined {
    if (compiled === undefined) return undefined;
    const { rule } = compiled;
    compiled.seen++;
    if (rule.onlyFirst !== undefined && compiled.seen > rule.onlyFirst) return undefined;
    const faultDraw = this.random();
    const slowDraw = this.random();
    let kind: FaultKind | undefined;
    let edge = 0;
    for (const k of FAULT_KINDS) {
      edge += rule[k] ?? 0;
      if (faultDraw < edge) {
        kind = k;
        break;
      }
    }
    const slowMs = rule.slowMs !== undefined && slowDraw < (rule.slowRate ?? 1) ? rule.slowMs : 0;
    const route = knownRoute(method, path) ?? (compiled.key === '*' ? 'unknown' : compiled.key);
    if (kind !== undefined) this.stats.faultInjected(route, kind);
    if (slowMs > 0) this.stats.faultInjected(route, 'slow');
    return { route, slowMs, retryAfterSec: rule.retryAfterSec ?? 1, wrongShapeBody: rule.wrongShapeBody ?? 'valueNotArray', ...(kind ? { kind } : {}) };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The 200 body a wrongShape fault sends in place of the real one. */
export function wrongShapeBody(shape: FaultDecision['wrongShapeBody']): { contentType: 'json' | 'html'; text: string } {
  if (shape === 'html') return { contentType: 'html', text: '<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>' };
  return { contentType: 'json', text: shape === 'emptyObject' ? '{}' : '{"value":"not-an-array"}' };
}

/** Status, code and message of the error-shaped faults, as Graph words them. */
export const FAULT_ERRORS = {
  throttle: { status: 429, code: 'TooManyRequests', message: 'Too many requests. Please retry after the time in the Retry-After header.' },
  unavailable: { status: 503, code: 'serviceNotAvailable', message: 'The service is temporarily unavailable. Please retry after the time in the Retry-After header.' },
  timeout: { status: 504, code: 'GatewayTimeout', message: 'The gateway did not receive a timely response from the upstream server.' },
} as const;

export function isErrorFault(kind: FaultKind | undefined): kind is keyof typeof FAULT_ERRORS {
  return kind === 'throttle' || kind === 'unavailable' || kind === 'timeout';
}
