import { AppError } from '../../errors.js';
import type { Application } from './plan.js';

/** Graph's applications API as `setup` uses it: read one application by its app id, update it. */
export class GraphApplications {
  constructor(
    private readonly graphBaseUrl: string,
    private readonly token: string,
    private readonly fetchJson: (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{ status: number; json: unknown }>,
  ) {}

  async byAppId(appId: string): Promise<Application> {
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/applications(appId='${encodeURIComponent(appId)}')`, { method: 'GET', headers: this.headers() });
    if (answer.status === 404)
      throw new AppError('ConfigInvalid', `no application with the app id ${appId} in this tenant`, { nextStep: 'Check --server-client-id (the Application (client) ID of the server app).' });
    if (answer.status !== 200) throw graphFailure('reading the server app', answer);
    return answer.json as Application;
  }

  async update(objectId: string, body: Record<string, unknown>): Promise<void> {
    const answer = await this.fetchJson(`${this.graphBaseUrl}/v1.0/applications/${encodeURIComponent(objectId)}`, { method: 'PATCH', headers: { ...this.headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (answer.status !== 204 && answer.status !== 200) throw graphFailure('updating the server app', answer);
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

