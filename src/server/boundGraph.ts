import type { ExchangeReport, GraphClient } from '../graph/client.js';
import type { ToolPermissions } from '../tools/tool.js';

export interface GraphBinding {
  /**
   * The tool whose definition's permissions every request must stay within: a request needing a
   * delegated scope or an application permission it does not declare is a bug of the definition
   * (login, doctor and the README would not know about it), refused before anything is sent.
   * Absent for resource reads and completions, which declare none.
   */
  tool?: { name: string; permissions: ToolPermissions } | undefined;
  flow: 'delegated' | 'app';
  /** Where this call's exchanges are recorded (its audit record); absent: not recorded. */
  record?: ((report: ExchangeReport) => void) | undefined;
}

/** One call's view of a Graph client: its permissions checked, its exchanges recorded. */
export function boundGraph(client: GraphClient, binding: GraphBinding): GraphClient {
  const { tool, flow, record } = binding;
  if (!tool && !record) return client;
  const declared = tool && new Set(flow === 'delegated' ? [...tool.permissions.delegated, ...(tool.permissions.optionalDelegated ?? [])] : tool.permissions.application);
  const check = (route: string, scopes: readonly string[], permissions: readonly string[] | undefined) => {
    if (!tool || !declared) return;
    const needed = flow === 'delegated' ? scopes : (permissions ?? []).filter((p) => p.endsWith(' (application)')).map((p) => p.slice(0, -' (application)'.length));
    const undeclared = needed.filter((s) => !declared.has(s));
    if (undeclared.length) throw new Error(`${tool.name} calls ${route}, which needs ${undeclared.join(', ')} (${flow}), but its definition does not declare it`);
  };
  const recorded = <R extends { onExchange?: ((report: ExchangeReport) => void) | undefined }>(req: R): R => (record ? { ...req, onExchange: record } : req);
  return {
    request: (req) => {
      check(req.route, req.scopes, req.permissions);
      return client.request(recorded(req));
    },
    paginate: (req) => {
      check(req.route, req.scopes, req.permissions);
      return client.paginate(recorded(req));
    },
    batch: (items, opts) => {
      check('POST /$batch', opts.scopes, items.flatMap((i) => i.permissions ?? []));
      return client.batch(items, recorded(opts));
    },
    stream: (req) => {
      check(req.route, req.scopes, req.permissions);
      return client.stream(recorded(req));
    },
    download: (req) => {
      check(req.route, req.scopes, req.permissions);
      return client.download(recorded(req));
    },
  };
}
