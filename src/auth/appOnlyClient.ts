import type { ConfidentialClientApplication } from '@azure/msal-node';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AppCredential } from '../config/endpoints.js';
import type { TokenGrant } from './broker.js';
import { peekClaims } from './jwtClaims.js';
import { mapMsalError } from './msalErrors.js';
import { identityNetwork, msalConfiguration, type IdentityEndpoints } from './msalConfig.js';
import { TokenMemo } from './tokenMemo.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * App-only tokens (client credentials) for interaction export, the one API that has no delegated
 * form. No user and no public client: the HTTP server builds only this for its app-only calls.
 * MSAL is imported on first use; its tokens stay in memory (cheap to get again).
 */
export class AppOnlyClient {
  private cca?: Promise<ConfidentialClientApplication>;
  private discoveryError?: string;
  private readonly memo = new TokenMemo();
  private tenant?: Promise<string>;

  constructor(
    private readonly opts: {
      app: AppCredential | undefined;
      identity: IdentityEndpoints;
      log: Logger;
      /** The resource of the `{resource}/.default` scope: Graph unless said (doctor asks for the server's own API). */
      resource?: string;
    },
  ) {}

  get configured(): boolean {
    return this.opts.app !== undefined;
  }

  token(forceRefresh = false, signal?: AbortSignal): Promise<TokenGrant> {
    return this.memo.get('app', () => this.acquire(forceRefresh), { forceRefresh, signal });
  }

  /**
   * The tenant id (a GUID, as callers' `tid` claims carry it) of the app-only credential. An authority
   * may name its tenant by domain (contoso.onmicrosoft.com); then the token itself says which tenant issued it.
   */
  tenantId(): Promise<string> {
    const named = this.opts.app ? new URL(this.opts.app.authority).pathname.split('/').filter(Boolean)[0] : undefined;
    if (named && GUID.test(named)) return Promise.resolve(named.toLowerCase());
    this.tenant ??= this.token().then(({ accessToken }) => {
      const tid = peekClaims(accessToken)?.tid;
      if (typeof tid !== 'string' || !GUID.test(tid))
        throw new AppError('AuthFailed', 'the app-only token of the export app names no tenant (tid)', { nextStep: 'Check the export app registration and --export-tenant.' });
      return tid.toLowerCase();
    });
    return this.tenant.catch((err: unknown) => {
      this.tenant = undefined; // a failed acquisition is asked again next time
      throw err;
    });
  }

  private async acquire(forceRefresh: boolean): Promise<TokenGrant> {
    const app = this.opts.app;
    if (!app) {
      throw new AppError('ConfigInvalid', 'interaction export needs an app registration with the application permission AiEnterpriseInteraction.Read.All, and none is configured', {
        nextStep:
          'Set M365_COPILOT_MCP_EXPORT_CLIENT_ID with M365_COPILOT_MCP_EXPORT_CLIENT_SECRET or M365_COPILOT_MCP_EXPORT_CERTIFICATE (and M365_COPILOT_MCP_TENANT_ID to your tenant), then restart the server.',
      });
    }
    try {
      const result = await (await this.client(app)).acquireTokenByClientCredential({ scopes: [`${this.opts.resource ?? this.opts.identity.graphResource}/.default`], skipCache: forceRefresh });
      if (!result) throw new AppError('AuthFailed', 'the identity provider returned no token for the export app', { nextStep: 'Retry; check the export app registration.' });
      return { accessToken: result.accessToken, expiresOn: result.expiresOn ?? undefined, scopes: [] };
    } catch (err) {
      throw mapMsalError(err, { scopes: ['.default'], flow: 'app', authority: app.authority, clientId: app.clientId, ...(this.discoveryError ? { discoveryError: this.discoveryError } : {}) });
    }
  }

  private client(app: AppCredential): Promise<ConfidentialClientApplication> {
    const credential = app.certificate
      ? { clientCertificate: { privateKey: app.certificate.privateKey, thumbprintSha256: app.certificate.thumbprintSha256, ...(app.certificate.x5c ? { x5c: app.certificate.x5c } : {}) } }
      : { clientSecret: app.clientSecret };
    const network = identityNetwork(this.opts.identity, (description) => (this.discoveryError = description));
    this.cca ??= import('@azure/msal-node').then(
      (msal) =>
        new msal.ConfidentialClientApplication(
          msalConfiguration({ clientId: app.clientId, authority: app.authority, knownAuthorities: this.opts.identity.knownAuthorities, auth: credential, network, log: this.opts.log }),
        ),
    );
    return this.cca;
  }
}
