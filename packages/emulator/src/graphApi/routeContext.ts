import type { EmuUser, GraphRequest, GraphResponse, Tenant } from '../model.js';
import type { SlidingWindowBudget } from './slidingWindowBudget.js';

/** What every route handler may use; one per router. */
export interface RouteContext {
  tenant: Tenant;
  clock: () => number;
  /** Lowercase object id → user. */
  usersById: ReadonlyMap<string, EmuUser>;
  retrievalBudget: SlidingWindowBudget;
  /** Runs a request through the whole router ($batch items). */
  dispatch: (req: GraphRequest) => Promise<GraphResponse>;
}

export type RouteParams = Readonly<Record<string, string>>;

export type RouteHandler = (req: GraphRequest, params: RouteParams, ctx: RouteContext) => GraphResponse | Promise<GraphResponse>;

export function userById(ctx: RouteContext, id: string): EmuUser | undefined {
  return ctx.usersById.get(id.toLowerCase());
}

export function odataContext(req: GraphRequest, fragment: string): string {
  return `${req.baseUrl}/${req.version}/$metadata#${fragment}`;
}
