import * as z from 'zod';
import type { GraphClient } from '../client.js';
import { delegated, ROUTES } from './routes.js';

/*
 * The tenant's Copilot connector connections, whose ids connector retrieval (the externalItem
 * source) needs: GET /v1.0/external/connections ("List externalConnections"; delegated
 * ExternalConnection.ReadWrite.OwnedBy, ExternalConnection.Read.All or ExternalConnection.ReadWrite.All).
 */
export const CONNECTIONS_SCOPE = 'ExternalConnection.Read.All';
/** Delegated permissions that let a user list every connection (OwnedBy lists only its own app's). */
export const CONNECTION_LISTING_SCOPES = ['ExternalConnection.Read.All', 'ExternalConnection.ReadWrite.All'];

const text = z.string().nullish().transform((v) => v ?? undefined);
const ConnectionSchema = z.looseObject({ id: z.string(), name: text, description: text, state: text });

export interface Connection {
  id: string;
  name?: string;
  state?: string;
}

export async function listConnections(graph: GraphClient, scope: string, signal?: AbortSignal): Promise<Connection[]> {
  const list: Connection[] = [];
  for await (const page of graph.paginate({
    method: 'GET',
    route: ROUTES.connections,
    path: '/external/connections',
    query: { $select: 'id,name,state' },
    scopes: [scope],
    permissions: delegated([scope]),
    itemSchema: ConnectionSchema,
    ...(signal ? { signal } : {}),
  }))
    list.push(...page.items.map((c) => ({ id: c.id, ...(c.name ? { name: c.name } : {}), ...(c.state ? { state: c.state } : {}) })));
  return list;
}
