import type { EmuUser } from '../model.js';
import { hasAnyRole, hasAnyScope } from './callerPermissions.js';
import { odataContext, userById, type RouteHandler } from './routeContext.js';
import { replyFor } from './graphErrorReplies.js';

export const ME_ROUTE = 'GET /me';
export const USER_ROUTE = 'GET /users/{id}';
const ME_SCOPES = ['User.Read', 'User.ReadWrite', 'User.ReadBasic.All', 'User.Read.All'];
const USERS_SCOPES = ['User.Read', 'User.ReadBasic.All', 'User.Read.All'];
const USERS_ROLES = ['User.Read.All', 'User.ReadBasic.All'];

function render(user: EmuUser): Record<string, unknown> {
  return {
    id: user.id,
    displayName: user.displayName,
    userPrincipalName: user.upn,
    mail: user.mail,
    jobTitle: user.jobTitle,
    department: user.department,
  };
}

export const meHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, ME_ROUTE);
  const caller = req.caller;
  if (caller.kind !== 'delegated') return reply.error(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  if (!hasAnyScope(caller, ME_SCOPES)) return reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation. The token needs User.Read.');
  const user = userById(ctx, caller.userId);
  if (!user) return reply.error(404, 'Request_ResourceNotFound', `Resource '${caller.userId}' does not exist or one of its queried reference-property objects are not present.`);
  return reply.ok({ '@odata.context': odataContext(req, 'users/$entity'), ...render(user) });
};

/** By object id or UPN (case-insensitive), as Graph accepts both. */
export const userHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, USER_ROUTE);
  const allowed = req.caller.kind === 'delegated' ? hasAnyScope(req.caller, USERS_SCOPES) : hasAnyRole(req.caller, USERS_ROLES);
  if (!allowed) {
    return reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation. The token needs User.ReadBasic.All (delegated) or User.Read.All (application).');
  }
  const key = params['id'] ?? '';
  const user = userById(ctx, key) ?? ctx.tenant.users.find((u) => u.upn.toLowerCase() === key.toLowerCase());
  if (!user) return reply.error(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
  return reply.ok({ '@odata.context': odataContext(req, 'users/$entity'), ...render(user) });
};
