import { AppError } from '../../errors.js';
import type { Application } from './plan.js';

/** A delegated permission Microsoft Graph publishes (its service principal's oauth2PermissionScopes). */
export interface PublishedScope {
  id: string;
  value: string;
}

/**
 * Graph's applications and service principals APIs as `setup` uses them: find, create and update
 * applications, add a client secret, create service principals, and the admin-consent grants.
 */
export class GraphApplications {
  constructor(
    private readonly graphBaseUrl: string,
    private readonly token: string,
    private readonly fetchJson: (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{ status: number; json: unknown }>,
  ) {}

  async byAppId(appId: string, idFlag = '--server-client-id'): Promise<Application> {
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/applications(appId='${encodeURIComponent(appId)}')`, { method: 'GET', headers: this.headers() });
    if (answer.status === 404)
      throw new AppError('ConfigInvalid', `no application with the app id ${appId} in this tenant`, { nextStep: `Check ${idFlag} (the Application (client) ID of the app).` });
    if (answer.status !== 200) throw graphFailure('reading the server app', answer);
    return answer.json as Application;
  }

  /** Applications whose displayName is exactly `name` (https://learn.microsoft.com/graph/api/application-list). */
  async byDisplayName(name: string): Promise<Application[]> {
    const filter = encodeURIComponent(`displayName eq '${name.replace(/'/g, "''")}'`);
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/applications?$filter=${filter}`, { method: 'GET', headers: this.headers() });
    if (answer.status !== 200) throw graphFailure('looking applications up by name', answer);
    return (answer.json as { value?: Application[] }).value ?? [];
  }

  /** https://learn.microsoft.com/graph/api/application-post-applications */
  async create(body: Record<string, unknown>): Promise<Application> {
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/applications`, { method: 'POST', headers: { ...this.headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (answer.status !== 201) throw graphFailure(`creating the application "${String(body['displayName'])}"`, answer);
    return answer.json as Application;
  }

  /** A new client secret (https://learn.microsoft.com/graph/api/application-addpassword); its text is returned only here. */
  async addPassword(objectId: string, displayName: string): Promise<string> {
    const body = JSON.stringify({ passwordCredential: { displayName } });
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/applications/${encodeURIComponent(objectId)}/addPassword`, { method: 'POST', headers: { ...this.headers(), 'content-type': 'application/json' }, body });
    const secret = (answer.json as { secretText?: unknown } | undefined)?.secretText;
    if (answer.status !== 200 || typeof secret !== 'string') throw graphFailure('adding a client secret', answer);
    return secret;
  }

  /** The app's service principal, or undefined when it has none yet. */
  async findServicePrincipal(appId: string): Promise<{ id: string } | undefined> {
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/servicePrincipals(appId='${encodeURIComponent(appId)}')`, { method: 'GET', headers: this.headers() });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw graphFailure('reading a service principal', answer);
    return answer.json as { id: string };
  }

  /** https://learn.microsoft.com/graph/api/serviceprincipal-post-serviceprincipals */
  async createServicePrincipal(appId: string): Promise<{ id: string }> {
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/servicePrincipals`, { method: 'POST', headers: { ...this.headers(), 'content-type': 'application/json' }, body: JSON.stringify({ appId }) });
    if (answer.status !== 201) throw graphFailure('creating a service principal', answer);
    return answer.json as { id: string };
  }

  /** Microsoft Graph's service principal and the delegated (`scopes`) and application (`roles`) permissions it publishes, with their ids. */
  async graphServicePrincipal(graphAppId: string): Promise<{ id: string; scopes: PublishedScope[]; roles: PublishedScope[] }> {
    const sp = (await this.servicePrincipal(graphAppId)) as { id: string; oauth2PermissionScopes?: PublishedScope[]; appRoles?: PublishedScope[] };
    return { id: sp.id, scopes: sp.oauth2PermissionScopes ?? [], roles: sp.appRoles ?? [] };
  }

  /** The app role ids granted to a client service principal (https://learn.microsoft.com/graph/api/serviceprincipal-list-approleassignments). */
  async appRoleAssignments(servicePrincipalId: string): Promise<{ appRoleId: string; resourceId: string }[]> {
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/servicePrincipals/${encodeURIComponent(servicePrincipalId)}/appRoleAssignments`, { method: 'GET', headers: this.headers() });
    if (answer.status !== 200) throw graphFailure('reading app role assignments', answer);
    return (answer.json as { value?: { appRoleId: string; resourceId: string }[] }).value ?? [];
  }

  /** Grants an application permission (https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignments). */
  async assignAppRole(principalId: string, resourceId: string, appRoleId: string): Promise<void> {
    const body = JSON.stringify({ principalId, resourceId, appRoleId });
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/servicePrincipals/${encodeURIComponent(principalId)}/appRoleAssignments`, { method: 'POST', headers: { ...this.headers(), 'content-type': 'application/json' }, body });
    if (answer.status !== 201) throw graphFailure('granting an application permission', answer);
  }

  async update(objectId: string, body: Record<string, unknown>): Promise<void> {
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/applications/${encodeURIComponent(objectId)}`, { method: 'PATCH', headers: { ...this.headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (answer.status !== 204 && answer.status !== 200) throw graphFailure('updating an application', answer);
  }

  async servicePrincipal(appId: string): Promise<{ id: string }> {
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/servicePrincipals(appId='${encodeURIComponent(appId)}')`, { method: 'GET', headers: this.headers() });
    if (answer.status === 404)
      throw new AppError('ConfigInvalid', `the app ${appId} has no service principal in this tenant`, { nextStep: 'Open the app once in Enterprise applications (or create its service principal), then run setup again.' });
    if (answer.status !== 200) throw graphFailure('reading a service principal', answer);
    return answer.json as { id: string };
  }

  /** The tenant-wide (AllPrincipals) delegated grant from `clientId` to `resourceId` (service principal ids), if any. */
  async tenantWideGrant(clientId: string, resourceId: string): Promise<{ id: string; scope: string } | undefined> {
    const filter = encodeURIComponent(`clientId eq '${clientId}' and resourceId eq '${resourceId}'`);
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/oauth2PermissionGrants?$filter=${filter}`, { method: 'GET', headers: this.headers() });
    if (answer.status !== 200) throw graphFailure('reading permission grants', answer);
    const grants = ((answer.json as { value?: { id: string; scope?: string; consentType?: string }[] }).value ?? []).filter((g) => g.consentType === 'AllPrincipals');
    return grants[0] ? { id: grants[0].id, scope: grants[0].scope ?? '' } : undefined;
  }

  async createGrant(clientId: string, resourceId: string, scope: string): Promise<void> {
    const body = JSON.stringify({ clientId, consentType: 'AllPrincipals', resourceId, scope });
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/oauth2PermissionGrants`, { method: 'POST', headers: { ...this.headers(), 'content-type': 'application/json' }, body });
    if (answer.status !== 201) throw graphFailure('granting admin consent', answer);
  }

  async updateGrant(id: string, scope: string): Promise<void> {
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/oauth2PermissionGrants/${encodeURIComponent(id)}`, { method: 'PATCH', headers: { ...this.headers(), 'content-type': 'application/json' }, body: JSON.stringify({ scope }) });
    if (answer.status !== 204 && answer.status !== 200) throw graphFailure('updating admin consent', answer);
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, accept: 'application/json' };
  }
}

function graphFailure(what: string, answer: { status: number; json: unknown }): AppError {
  const error = (answer.json as { error?: { code?: string; message?: string } } | undefined)?.error;
  const denied = answer.status === 403;
  return new AppError(denied ? 'Forbidden' : 'GraphError', `${what} failed: HTTP ${answer.status} ${error?.code ?? ''} ${error?.message ?? ''}`.trim(), {
    nextStep: denied
      ? 'Sign in as an administrator who may manage app registrations (Application Administrator, Cloud Application Administrator or Global Administrator).'
      : 'Retry; if it persists, check the registration in the portal.',
  });
}

