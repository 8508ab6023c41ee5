import { describe, expect, it } from 'vitest';
import { planExportRole, planRegistration, planResourceAccess, type Application, type AppRole } from '../../src/commands/setup/plan.js';

/** The plan is the difference between the registration and what HTTP mode needs; applying it leaves none. */
const RESOURCE = 'https://mcp.contoso.com/mcp';
const CLIENT = 'aebc6443-996d-45c2-90f0-388ff96faa56';
const bare: Application = { id: 'obj', appId: 'app', identifierUris: ['api://app'], api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [], preAuthorizedApplications: [] } };

function apply(app: Application, body: Record<string, unknown>): Application {
  const api = (body['api'] ?? {}) as Application['api'];
  return { ...app, ...(body['identifierUris'] ? { identifierUris: body['identifierUris'] as string[] } : {}), api: { ...app.api, ...api } };
}

describe('setup plan', () => {
  it('adds the identifier URI, v2 tokens and the scope first, then authorizes the clients by the scope id', () => {
    const plan = planRegistration(bare, { resource: RESOURCE, scope: 'access_as_user', clients: [CLIENT] }, () => 'scope-id');
    expect(plan).toHaveLength(2);
    expect(plan[0]!.body).toMatchObject({ identifierUris: ['api://app', RESOURCE], api: { requestedAccessTokenVersion: 2, oauth2PermissionScopes: [{ id: 'scope-id', value: 'access_as_user', isEnabled: true, type: 'User' }] } });
    expect(plan[1]!.body).toEqual({ api: { preAuthorizedApplications: [{ appId: CLIENT, delegatedPermissionIds: ['scope-id'] }] } });
    const applied = plan.reduce((app, u) => apply(app, u.body), bare);
    expect(planRegistration(applied, { resource: RESOURCE, scope: 'access_as_user', clients: [CLIENT] })).toEqual([]);
  });

  it('keeps what is there: other URIs, scopes and clients; re-enables a disabled scope under its id', () => {
    const app: Application = {
      ...bare,
      identifierUris: ['api://app', RESOURCE],
      api: {
        requestedAccessTokenVersion: 2,
        oauth2PermissionScopes: [
          { id: 'other', value: 'other', type: 'User', isEnabled: true, adminConsentDisplayName: 'o', adminConsentDescription: 'o' },
          { id: 'old', value: 'access_as_user', type: 'User', isEnabled: false, adminConsentDisplayName: 'a', adminConsentDescription: 'a' },
        ],
        preAuthorizedApplications: [{ appId: CLIENT, delegatedPermissionIds: ['other'] }],
      },
    };
    const plan = planRegistration(app, { resource: RESOURCE, scope: 'access_as_user', clients: [CLIENT] });
    expect(plan[0]!.describe).toEqual(['enable the scope access_as_user']);
    const scopes = (plan[0]!.body['api'] as { oauth2PermissionScopes: { id: string; isEnabled: boolean }[] }).oauth2PermissionScopes;
    expect(scopes.map((s) => [s.id, s.isEnabled])).toEqual([['other', true], ['old', true]]);
    expect(plan[1]!.body).toEqual({ api: { preAuthorizedApplications: [{ appId: CLIENT, delegatedPermissionIds: ['other', 'old'] }] } });
  });
});

describe('planResourceAccess', () => {
  const GRAPH = '00000003-0000-0000-c000-000000000000';
  it('lists what is missing beside what the app lists, and nothing once listed', () => {
    const current = [{ resourceAppId: 'other', resourceAccess: [{ id: 'x', type: 'Role' }] }, { resourceAppId: GRAPH, resourceAccess: [{ id: 'a', type: 'Scope' }] }];
    const next = planResourceAccess(current, GRAPH, ['a', 'b']);
    expect(next).toEqual([current[0], { resourceAppId: GRAPH, resourceAccess: [{ id: 'a', type: 'Scope' }, { id: 'b', type: 'Scope' }] }]);
    expect(current[1]!.resourceAccess).toHaveLength(1);
    expect(planResourceAccess(next, GRAPH, ['b', 'a'])).toBeUndefined();
  });

  it('adds Graph to an app that asks for nothing yet', () => {
    expect(planResourceAccess(undefined, GRAPH, ['a'])).toEqual([{ resourceAppId: GRAPH, resourceAccess: [{ id: 'a', type: 'Scope' }] }]);
  });
});

describe('planResourceAccess for application permissions', () => {
  const GRAPH = '00000003-0000-0000-c000-000000000000';
  it('a delegated permission of the same id does not stand for the application permission', () => {
    const current = [{ resourceAppId: GRAPH, resourceAccess: [{ id: 'r', type: 'Scope' }] }];
    expect(planResourceAccess(current, GRAPH, ['r'], 'Role')).toEqual([{ resourceAppId: GRAPH, resourceAccess: [{ id: 'r', type: 'Scope' }, { id: 'r', type: 'Role' }] }]);
    expect(planResourceAccess(planResourceAccess(current, GRAPH, ['r'], 'Role'), GRAPH, ['r'], 'Role')).toBeUndefined();
  });
});

describe('planExportRole', () => {
  const ROLE = 'Interactions.Export.All';
  const other: AppRole = { id: 'other-id', value: 'Reader', displayName: 'Reader', description: 'Reads', isEnabled: true, allowedMemberTypes: ['User'] };

  it('adds the role for users beside the roles the app defines, and plans nothing once added', () => {
    const next = planExportRole([other], ROLE, () => 'role-id');
    expect(next).toEqual([other, expect.objectContaining({ id: 'role-id', value: ROLE, isEnabled: true, allowedMemberTypes: ['User'] })]);
    expect(planExportRole(next, ROLE)).toBeUndefined();
    expect(planExportRole(undefined, ROLE, () => 'role-id')).toEqual([expect.objectContaining({ id: 'role-id', value: ROLE })]);
  });

  it('enables a disabled role, or one only for applications, for users under its own id (matched case-insensitively)', () => {
    const disabled: AppRole = { ...other, id: 'kept-id', value: ROLE.toLowerCase(), isEnabled: false, allowedMemberTypes: ['Application'] };
    const next = planExportRole([disabled, other], ROLE, () => 'new-id');
    expect(next).toEqual([other, expect.objectContaining({ id: 'kept-id', value: ROLE, isEnabled: true, allowedMemberTypes: ['Application', 'User'] })]);
    expect(planExportRole(next, ROLE)).toBeUndefined();
  });
});
