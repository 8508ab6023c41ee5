import { describe, expect, it } from 'vitest';
import { makeFresh } from '../src/data/freshTenant.js';
import { generateTenant } from '../src/data/generate.js';
import { withRemoteModeParts } from '../src/data/serverApp.js';
import { createGraphRouter } from '../src/graphApi/graphRouter.js';
import type { GraphCaller, GraphRequest, GraphResponse } from '../src/model.js';

/** App role assignments as `setup --export-app` uses them, through the Graph router, with the permissions Microsoft documents. */
const NOW = Date.parse('2026-03-10T12:00:00Z');
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const GRAPH_CLI = '14d82eec-204b-4c2f-b7e8-296a70dab67e';

function setUp(fresh: boolean) {
  const tenant = withRemoteModeParts(generateTenant({ now: new Date(NOW) }));
  if (fresh) makeFresh(tenant);
  const router = createGraphRouter(tenant, { clock: () => NOW });
  const admin = tenant.users.find((u) => /administrator/i.test(u.jobTitle))!;
  const other = tenant.users.find((u) => !/administrator/i.test(u.jobTitle))!;
  const as = (user: typeof admin, scopes: string[]): GraphCaller => ({ kind: 'delegated', tenantId: tenant.id, userId: user.id, upn: user.upn, appId: GRAPH_CLI, scopes });
  const call = (method: string, path: string, caller: GraphCaller, body?: unknown): Promise<GraphResponse> => {
    const req: GraphRequest = { method, path, version: 'v1.0', query: new URLSearchParams(), headers: {}, body, caller, requestId: 'r1', baseUrl: 'http://127.0.0.1:9999' };
    return router(req);
  };
  return { tenant, admin, other, as, call };
}

const ASSIGN = ['AppRoleAssignment.ReadWrite.All', 'Application.Read.All'];

describe('POST/GET /servicePrincipals/{id}/appRoleAssignments', () => {
  it('grants a Graph application permission to the export app, which its tokens then carry; a second grant of it is refused', async () => {
    const { tenant, admin, as, call } = setUp(true);
    expect(tenant.apps.exportApp.appRoles).toEqual([]);
    const graphSp = (await call('GET', `/servicePrincipals(appId='${GRAPH_APP_ID}')`, as(admin, ASSIGN))).body as { id: string; appRoles: { id: string; value: string }[] };
    const role = graphSp.appRoles.find((r) => r.value === 'AiEnterpriseInteraction.Read.All')!;
    const exportSp = (await call('GET', `/servicePrincipals(appId='${tenant.apps.exportApp.clientId}')`, as(admin, ASSIGN))).body as { id: string };
    const body = { principalId: exportSp.id, resourceId: graphSp.id, appRoleId: role.id };
    const path = `/servicePrincipals/${exportSp.id}/appRoleAssignments`;

    const created = await call('POST', path, as(admin, ASSIGN), body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ principalId: exportSp.id, resourceId: graphSp.id, appRoleId: role.id, principalType: 'ServicePrincipal' });
    expect(tenant.apps.exportApp.appRoles).toEqual(['AiEnterpriseInteraction.Read.All']);
    const listed = (await call('GET', path, as(admin, ['Application.Read.All']))).body as { value: { appRoleId: string }[] };
    expect(listed.value.map((a) => a.appRoleId)).toEqual([role.id]);

    const again = await call('POST', path, as(admin, ASSIGN), body);
    expect(again.status).toBe(400);
    expect(JSON.stringify(again.body)).toContain('Permission being assigned already exists on the object');
  });

  it('needs AppRoleAssignment.ReadWrite.All with Application.Read.All (or Directory.Read.All), and an administrator', async () => {
    const { tenant, admin, other, as, call } = setUp(true);
    const graphSp = (await call('GET', `/servicePrincipals(appId='${GRAPH_APP_ID}')`, as(admin, ASSIGN))).body as { id: string; appRoles: { id: string; value: string }[] };
    const exportSp = (await call('GET', `/servicePrincipals(appId='${tenant.apps.exportApp.clientId}')`, as(admin, ASSIGN))).body as { id: string };
    const body = { principalId: exportSp.id, resourceId: graphSp.id, appRoleId: graphSp.appRoles[0]!.id };
    const path = `/servicePrincipals/${exportSp.id}/appRoleAssignments`;
    for (const scopes of [['AppRoleAssignment.ReadWrite.All'], ['Application.ReadWrite.All', 'Application.Read.All'], ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All']]) {
      expect((await call('POST', path, as(admin, scopes), body)).status, scopes.join(' ')).toBe(403);
    }
    expect((await call('POST', path, as(other, ASSIGN), body)).status).toBe(403);
    expect((await call('GET', path, as(admin, ['AppRoleAssignment.ReadWrite.All']))).status).toBe(403);
    expect((await call('POST', path, as(admin, ['AppRoleAssignment.ReadWrite.All', 'Directory.Read.All']), body)).status).toBe(201);
    expect((await call('POST', path, as(admin, ASSIGN), { ...body, resourceId: exportSp.id })).status).toBe(400);
    expect(tenant.apps.exportApp.appRoles).toHaveLength(1);
  });
});

describe('POST /users/{id}/appRoleAssignments', () => {
  it("assigns a user the server app's export role, once", async () => {
    const { tenant, admin, other, as, call } = setUp(false);
    const server = tenant.apps.mcpServer;
    const app = (await call('GET', `/applications(appId='${server.clientId}')`, as(admin, ASSIGN))).body as { appRoles: { id: string; value: string }[] };
    const sp = (await call('GET', `/servicePrincipals(appId='${server.clientId}')`, as(admin, ASSIGN))).body as { id: string };
    const body = { principalId: other.id, resourceId: sp.id, appRoleId: app.appRoles[0]!.id };
    expect((await call('POST', `/users/${other.id}/appRoleAssignments`, as(other, ['AppRoleAssignment.ReadWrite.All']), body)).status).toBe(403);
    const created = await call('POST', `/users/${other.upn}/appRoleAssignments`, as(admin, ['AppRoleAssignment.ReadWrite.All']), body);
    expect(created.status).toBe(201);
    expect(server.userRoles[other.id]).toEqual([app.appRoles[0]!.value]);
    expect((await call('POST', `/users/${other.id}/appRoleAssignments`, as(admin, ['AppRoleAssignment.ReadWrite.All']), body)).status).toBe(400);
  });
});

describe('PATCH /applications/{id} appRoles (the server app)', () => {
  it('defines a role for users, refuses an incomplete one and the removal of an enabled one', async () => {
    const { tenant, admin, as, call } = setUp(false);
    const server = tenant.apps.mcpServer;
    const write = as(admin, ['Application.ReadWrite.All']);
    const app = (await call('GET', `/applications(appId='${server.clientId}')`, write)).body as { id: string; appRoles: Record<string, unknown>[] };
    const added = { id: '6f1c2b8e-0d4a-4c55-9e0b-3a7d2c1f9e11', value: 'Reader', displayName: 'Reader', description: 'Reads', isEnabled: true, allowedMemberTypes: ['User'] };
    expect((await call('PATCH', `/applications/${app.id}`, write, { appRoles: [...app.appRoles, { ...added, description: undefined }] })).status).toBe(400);
    expect((await call('PATCH', `/applications/${app.id}`, write, { appRoles: [added] })).status).toBe(400);
    expect(server.userRoleDefinitions).toEqual(['Interactions.Export.All']);
    expect((await call('PATCH', `/applications/${app.id}`, write, { appRoles: [...app.appRoles, added] })).status).toBe(204);
    expect(server.userRoleDefinitions).toEqual(['Interactions.Export.All', 'Reader']);
    const after = (await call('GET', `/applications(appId='${server.clientId}')`, write)).body as { appRoles: { id: string; value: string }[] };
    expect(after.appRoles.find((r) => r.value === 'Reader')?.id).toBe(added.id);
  });
});
