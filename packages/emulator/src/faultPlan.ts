import * as z from 'zod';

/**
 * What the fault injector may do to Graph requests (EmulatorOptions.faults, `--faults`,
 * `POST /_emulator/faults`). Rates are probabilities per matching request.
 */
const rate = z.number().min(0).max(1);

export const FAULT_KINDS = ['throttle', 'unavailable', 'timeout', 'reset', 'truncated', 'wrongShape'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Every counted kind: the exclusive ones above plus added latency, which combines with them. */
export type InjectedKind = FaultKind | 'slow';

export const WRONG_SHAPES = ['valueNotArray', 'emptyObject', 'html'] as const;

export const FaultRuleSchema = z
  .strictObject({
    throttle: rate.optional(),
    unavailable: rate.optional(),
    timeout: rate.optional(),
    reset: rate.optional(),
    truncated: rate.optional(),
    wrongShape: rate.optional(),
    slowMs: z.number().int().min(0).max(60_000).optional(),
    slowRate: rate.optional(),
    /** Retry-After seconds on throttle and unavailable answers (default 1). */
    retryAfterSec: z.number().int().min(0).max(3600).optional(),
    /** Which wrong body a wrongShape fault sends (default valueNotArray). */
    wrongShapeBody: z.enum(WRONG_SHAPES).optional(),
    /** Inject only into the first N requests this rule matches; later ones pass untouched. */
    onlyFirst: z.number().int().min(0).optional(),
  })
  // One draw picks at most one exclusive fault, so their rates share the unit interval.
  .refine((r) => FAULT_KINDS.reduce((sum, k) => sum + (r[k] ?? 0), 0) <= 1 + 1e-9, {
    message: 'throttle + unavailable + timeout + reset + truncated + wrongShape must not exceed 1',
  });
export type FaultRule = z.infer<typeof FaultRuleSchema>;

const ROUTE_KEY = /^(\*|(GET|POST|PUT|PATCH|DELETE) \/\S*)$/;

export const FaultPlanSchema = z.strictObject({
  /** PRNG seed: the same plan and the same request sequence give the same faults. */
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  /** Route template ("POST /copilot/retrieval", "GET /users/{id}") or "*" (every top-level Graph request) → rule. */
  routes: z.record(z.string().regex(ROUTE_KEY, 'a route key is "*" or "METHOD /path/{param}"'), FaultRuleSchema),
});
export type FaultPlan = z.input<typeof FaultPlanSchema>;
export type ParsedFaultPlan = z.output<typeof FaultPlanSchema>;

/** The plan, or one readable line naming what is wrong with it. */
export function parseFaultPlan(input: unknown): { ok: true; plan: ParsedFaultPlan } | { ok: false; message: string } {
  const result = FaultPlanSchema.safeParse(input);
  if (result.success) return { ok: true, plan: result.data };
  const message = result.error.issues
    .map((i) => {
      const where = i.path.length > 0 ? i.path.join('.') : '(plan)';
      // zod reports a bad record key only as "Invalid key in record"; say what a key looks like.
      return i.code === 'invalid_key' ? `${where}: not a route key; use "*" or "METHOD /path/{param}"` : `${where}: ${i.message}`;
    })
    .join('; ');
  return { ok: false, message: `Invalid fault plan: ${message}` };
}

/**
 * The emulated routes, in the router's own template spelling, so fault counters use the same keys
 * as graphRequests.byRoute. Kept here because faults are decided before the router runs.
 */
export const KNOWN_ROUTES = [
  'POST /copilot/retrieval',
  'POST /$batch',
  'GET /copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions()',
  'GET /copilot/users/{userId}/onlineMeetings/{meetingId}/aiInsights',
  'GET /copilot/users/{userId}/onlineMeetings/{meetingId}/aiInsights/{insightId}',
  'GET /me/onlineMeetings',
  'GET /me/onlineMeetings/{meetingId}',
  'GET /me/calendarView',
  'GET /external/connections',
  'GET /me',
  'GET /users/{id}',
];

export interface RouteMatcher {
  key: string;
  test(method: string, path: string): boolean;
}

/**
 * `{param}` may span segments (meeting ids contain '/' once decoded), literals compare
 * case-insensitively and a trailing `()` is optional, as in the router.
 */
export function routeMatcher(key: string): RouteMatcher {
  const space = key.indexOf(' ');
  const method = key.slice(0, space).toUpperCase();
  const template = key.slice(space + 1).replace(/\/+$/, '');
  const pattern = template
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      if (/^\{[^}]*\}$/.test(s)) return '[^/].*?';
      const literal = s.endsWith('()') ? s.slice(0, -2) : s;
      return `${literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:\\(\\))?`;
    })
    .join('/');
  const regex = new RegExp(`^/${pattern}/?$`, 'i');
  return { key, test: (m, path) => m.toUpperCase() === method && regex.test(path) };
}

const KNOWN_MATCHERS = KNOWN_ROUTES.map(routeMatcher);

/** The router template of a request, or undefined for paths the emulator does not serve. */
export function knownRoute(method: string, path: string): string | undefined {
  return KNOWN_MATCHERS.find((m) => m.test(method, path))?.key;
}
