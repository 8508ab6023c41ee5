import type { EmuConnection } from '../model.js';
import { hasAnyRole, hasAnyScope } from './callerPermissions.js';
import { odataContext, type RouteHandler } from './routeContext.js';
import { replyFor } from './graphErrorReplies.js';

export const CONNECTIONS_ROUTE = 'GET /external/connections';

/**
 * Microsoft Graph v1.0 "List externalConnections" (`GET /external/connections`): delegated and
 * application alike, least privileged ExternalConnection.ReadWrite.OwnedBy, higher
 * ExternalConnection.Read.All and ExternalConnection.ReadWrite.All. OwnedBy sees only the
 * connections its app created: none of this tenant's were created by the caller's app.
 */
const ALL = ['ExternalConnection.Read.All', 'ExternalConnection.ReadWrite.All'];
const OWNED_BY = 'ExternalConnection.ReadWrite.OwnedBy';

export const connectionsHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, CONNECTIONS_ROUTE);
  const caller = req.caller;
  const all = caller.kind === 'delegated' ? hasAnyScope(caller, ALL) : hasAnyRole(caller, ALL);
  const owned = caller.kind === 'delegated' ? hasAnyScope(caller, [OWNED_BY]) : hasAnyRole(caller, [OWNED_BY]);
  if (!all && !owned) return reply.error(403, 'accessDenied', `Access denied: the token needs ${OWNED_BY}, ${ALL.join(' or ')}.`);
  return reply.ok({
    '@odata.context': odataContext(req, 'external/connections'),
    value: all ? ctx.tenant.connections.map(render) : [],
  });
};

function render(c: EmuConnection): Record<string, unknown> {
  return { id: c.id, name: c.name, description: `${c.name} (Copilot connector)`, state: 'ready' };
}
