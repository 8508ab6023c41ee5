import type { GraphClient } from '../graph/client.js';
import type { ToolPermissions } from '../tools/tool.js';

/**
 * A tool's Graph clients, bound to the permissions its definition declares: a request needing a
 * delegated scope or an application permission the tool does not declare is a bug of the definition
 * (login, doctor and the README would not know about it), refused before anything is sent.
 */
export function boundGraph(client: GraphClient, tool: { name: string; permissions: ToolPermissions }, flow: 'delegated' | 'app'): GraphClient {
  const declared = new Set(flow === 'delegated' ? [...tool.permissions.delegated, ...(tool.permissions.optionalDelegated ?? [])] : tool.permissions.application);
  const check = (route: string, scopes: readonly string[], permissions: readonly string[] | undefined) => {
    const needed = flow === 'delegated' ? scopes : (permissions ?? []).filter((p) => p.endsWith(' (application)')).map((p) => p.slice(0, -' (application)'.length));
    const undeclared = needed.filter((s) => !declared.has(s));
    if (undeclared.length) throw new Error(`${tool.name} calls ${route}, which needs ${undeclared.join(', ')} (${flow}), but its definition does not declare it`);
  };
  return {
    request: (req) => {
      check(req.route, req.scopes, req.permissions);
      return client.request(req);
    },
    paginate: (req) => {
      check(req.route, req.scopes, req.permissions);
      return client.paginate(req);
    },
    batch: (items, opts) => {
      check('POST /$batch', opts.scopes, items.flatMap((i) => i.permissions ?? []));
      return client.batch(items, opts);
    },
    stream: (req) => {
      check(req.route, req.scopes, req.permissions);
      return client.stream(req);
    },
    download: (req) => {
      check(req.route, req.scopes, req.permissions);
      return client.download(req);
    },
  };
}
