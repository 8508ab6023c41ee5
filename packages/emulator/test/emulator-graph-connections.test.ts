import { describe, expect, it } from 'vitest';
import { tenantFacts } from '../src/data/facts.js';
import { generateTenant } from '../src/data/generate.js';
import { createGraphRouter } from '../src/graphApi/graphRouter.js';
import type { GraphCaller, GraphRequest, GraphResponse } from '../src/model.js';

const tenant = generateTenant({ now: new Date('2026-03-10T12:00:00Z') });
const facts = tenantFacts(tenant);
const router = createGraphRouter(tenant);

function list(caller: GraphCaller): Promise<GraphResponse> {
  const req: GraphRequest = { method: 'GET', path: '/external/connections', version: 'v1.0', query: new URLSearchParams(), headers: {}, body: undefined, caller, requestId: 'r1', baseUrl: 'http://127.0.0.1:9' };
  return router(req);
}
const delegated = (scopes: string[]): GraphCaller => ({ kind: 'delegated', tenantId: tenant.id, userId: facts.demoUser.id, upn: facts.demoUser.upn, appId: tenant.apps.publicClient.clientId, scopes });
const values = (res: GraphResponse) => (res.body as { value: { id: string; name: string; state: string }[] }).value;

describe('GET /external/connections (List externalConnections)', () => {
  it('lists every connection, with its id and name, for ExternalConnection.Read.All or ReadWrite.All, delegated or application', async () => {
    for (const caller of [delegated(['ExternalConnection.Read.All']), delegated(['ExternalConnection.ReadWrite.All']), { kind: 'app', tenantId: tenant.id, appId: 'a', roles: ['ExternalConnection.Read.All'] } as GraphCaller]) {
      const res = await list(caller);
      expect(res.status).toBe(200);
      expect(values(res)).toContainEqual(expect.objectContaining({ id: facts.connector.connection.id, name: facts.connector.connection.name, state: 'ready' }));
      expect(values(res)).toHaveLength(tenant.connections.length);
    }
  });

  it('ExternalConnection.ReadWrite.OwnedBy sees only its own app\'s connections (none here)', async () => {
    const res = await list(delegated(['ExternalConnection.ReadWrite.OwnedBy']));
    expect(res.status).toBe(200);
    expect(values(res)).toEqual([]);
  });

  it('is 403 without one of those permissions (ExternalItem.Read.All, which retrieval needs, is not one)', async () => {
    const res = await list(delegated(['User.Read', 'ExternalItem.Read.All']));
    expect(res.status).toBe(403);
    expect((res.body as { error: { message: string } }).error.message).toMatch(/ExternalConnection\.Read\.All/);
  });
});
