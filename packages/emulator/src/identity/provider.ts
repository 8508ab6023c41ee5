import type { EmuApp, EmuOtherTenant, EmuUser, Tenant } from '../model.js';
import type { EmulatorStats } from '../stats.js';
import { AuthorizationCodeStore } from './authorizationCodes.js';
import type { AuthorizeRequest } from './authorizeRequest.js';
import type { ClientCertificate } from './clientCertificate.js';
import { authenticateConfidential, clientAuthMethod, findApp, requireApp, type AssertionContext, type ClientAuthMethod, type PresentedClient } from './clients.js';
import { DeviceCodeStore, type DecisionResult } from './deviceCodes.js';
import { InjectedErrors } from './injectedErrors.js';
import type { SigningKeys } from './keys.js';
import { OAuthError } from './oauthError.js';
import { mintAccessToken, type MintedToken, type MintRequest } from './mint.js';
import { appNotInDirectory, checkOboAssertion, JWT_BEARER_GRANT } from './onBehalfOf.js';
import { RefreshTokenStore } from './refreshTokens.js';
import { checkResourceIndicator } from './resourceIndicator.js';
import { looksLikeMetadataDocumentUrl, resolveMetadataDocumentClient, type ClientMetadataDocumentsSwitch, type MetadataDocumentApp } from './clientMetadataDocument.js';
import { exposedApis, requireDefaultScope, resolveDelegatedScopes, type ExposedApi, type GrantedScopes } from './scopeGrants.js';
import { apiApp } from './apiTokens.js';
import { clientInfo, issueApiAppToken, issueAppToken, issueDelegatedTokens, type IssuerContext } from './tokens.js';

export interface IdentityProviderOptions {
  tenant: Tenant;
  keys: SigningKeys;
  stats: EmulatorStats;
  /** https origin, e.g. https://127.0.0.1:43123 */
  authorityHost: string;
  graphResource: string;
  accessTokenLifetimeSec: number;
  deviceCodeIntervalSec: number;
  /** Approves every new device code (and authorize request) for this user at once (the demo has nobody to click). */
  autoApproveUpn?: string;
  /** Client metadata documents (CIMD) accepted as client ids: the tenant allows them (an emulator switch). */
  clientMetadataDocuments?: ClientMetadataDocumentsSwitch;
  /** Certificates registered per client id, for client assertions. */
  clientCertificates?: ReadonlyMap<string, readonly Pick<ClientCertificate, 'certPem' | 'der'>[]>;
  clock: () => number;
}

export interface DeviceCodeResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  expires_in: number;
  interval: number;
  message: string;
}

export type GrantLabel = 'authorization_code' | 'device_code' | 'refresh_token' | 'client_credentials' | 'on_behalf_of' | 'unsupported';

/** Which directory a tenant path segment names: this tenant (by id, domain or a multi-tenant alias) or the other one. */
export type TenantSegment = { kind: 'home'; alias: boolean } | { kind: 'other'; tenant: EmuOtherTenant };

const DEVICE_CODE_LIFETIME_SEC = 900;
const OIDC_NAMES = new Set(['openid', 'profile', 'offline_access', 'email']);

interface Issued {
  body: object;
  /** Set for delegated tokens, for the per-user counters. */
  upn?: string;
}

export function grantLabel(grantType: string | null): GrantLabel {
  switch (grantType) {
    case 'device_code': // what MSAL actually posts
    case 'urn:ietf:params:oauth:grant-type:device_code':
      return 'device_code';
    case 'authorization_code':
    case 'refresh_token':
    case 'client_credentials':
      return grantType;
    case JWT_BEARER_GRANT: // on-behalf-of is the only JWT bearer grant Entra serves
      return 'on_behalf_of';
    default:
      return 'unsupported';
  }
}

function missing(parameter: string): OAuthError {
  return new OAuthError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${parameter}'.`);
}

// The token endpoint paths a client assertion may name as its audience (v2, and v1 as Entra allows).
const TOKEN_PATH = /^\/([^/]+)\/oauth2\/(?:v2\.0\/)?token\/?$/;

/**
 * The emulated Entra ID: device code and auth code + PKCE sign-in, refresh with rotation,
 * client credentials (secret or certificate). Transport-free so the rules can be read (and
 * tested) apart from HTTP.
 */
export class IdentityProvider {
  readonly deviceCodes: DeviceCodeStore;
  readonly authorizationCodes: AuthorizationCodeStore;
  readonly refreshTokens: RefreshTokenStore;
  /** Errors a test queued for the next matching token requests. */
  readonly injectedErrors = new InjectedErrors();
  private readonly issuer: IssuerContext;
  private readonly autoApproveUserId: string | undefined;
  /** Clients described by metadata documents, by URL, once fetched this session. */
  private readonly documentClients = new Map<string, MetadataDocumentApp>();

  constructor(private readonly opts: IdentityProviderOptions) {
    this.deviceCodes = new DeviceCodeStore(opts.clock, DEVICE_CODE_LIFETIME_SEC);
    this.authorizationCodes = new AuthorizationCodeStore(opts.clock);
    this.refreshTokens = new RefreshTokenStore(opts.clock);
    this.issuer = {
      tenant: opts.tenant,
      authorityHost: opts.authorityHost,
      graphResource: opts.graphResource,
      accessTokenLifetimeSec: opts.accessTokenLifetimeSec,
      clock: opts.clock,
      keys: opts.keys,
      refreshTokens: this.refreshTokens,
    };
    if (opts.autoApproveUpn !== undefined) {
      const user = this.userByUpn(opts.autoApproveUpn);
      if (user === undefined) throw new Error(`autoApproveUpn ${opts.autoApproveUpn} is not a user of the emulated tenant`);
      this.autoApproveUserId = user.id;
    }
  }

  get tenant(): Tenant {
    return this.opts.tenant;
  }

  /** The tenant path segment may be the GUID, the domain, or a multi-tenant alias: all mean this tenant. */
  resolvesToTenant(segment: string): boolean {
    return this.tenantSegment(segment)?.kind === 'home';
  }

  /** This tenant, the other tenant (its id or domain), or undefined for a directory the emulator does not know. */
  tenantSegment(segment: string): TenantSegment | undefined {
    const s = segment.toLowerCase();
    if (s === 'organizations' || s === 'common') return { kind: 'home', alias: true };
    if (s === this.tenant.id.toLowerCase() || s === this.tenant.domain.toLowerCase()) return { kind: 'home', alias: false };
    const other = this.tenant.otherTenant;
    if (other !== undefined && (s === other.id.toLowerCase() || s === other.domain.toLowerCase())) return { kind: 'other', tenant: other };
    return undefined;
  }

  /** The clients known this session beyond the registrations. */
  get extraApps(): readonly EmuApp[] {
    return [...this.documentClients.values()];
  }

  /**
   * Before an authorize request is read: a client id that is an https URL is fetched as a client
   * metadata document when the tenant allows them (else it is an unknown client, as before).
   */
  async resolveDocumentClient(clientId: string | null): Promise<void> {
    const sw = this.opts.clientMetadataDocuments;
    if (sw === undefined || !looksLikeMetadataDocumentUrl(clientId)) return;
    // Fetched again at every authorize: the document may have changed, as the draft allows.
    this.documentClients.set(clientId, await resolveMetadataDocumentClient(clientId, sw));
  }

  /** Web APIs of the tenant a client may ask tokens for (the MCP server). */
  get apis(): ExposedApi[] {
    return exposedApis(this.tenant);
  }

  /** A signed access token for a user of either tenant, without a sign-in (control route). */
  mint(request: MintRequest): Promise<MintedToken> {
    return mintAccessToken(this.issuer, request);
  }

  userByUpn(upn: string): EmuUser | undefined {
    const lower = upn.toLowerCase();
    return this.tenant.users.find((u) => u.upn.toLowerCase() === lower);
  }

  startDeviceCode(form: URLSearchParams): DeviceCodeResponse {
    const app = requireApp(this.tenant, form.get('client_id') ?? undefined);
    if (app.kind !== 'public') {
      throw new OAuthError(400, 'invalid_client', 7000218, `Application '${app.clientId}' is not enabled for public client flows such as the device code flow.`);
    }
    const granted = resolveDelegatedScopes(form.get('scope') ?? undefined, app, this.opts.graphResource, { apis: this.apis, tenantName: this.tenant.domain });
    this.checkResource(form, granted);
    const { deviceCode, userCode, expiresIn } = this.deviceCodes.create(app.clientId, granted);
    this.opts.stats.deviceCode('issued');
    if (this.autoApproveUserId !== undefined) {
      this.deviceCodes.approve(userCode, this.autoApproveUserId);
      this.opts.stats.deviceCode('approved');
    }
    const verificationUri = `${this.opts.authorityHost}/devicelogin`;
    return {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      expires_in: expiresIn,
      interval: this.autoApproveUserId !== undefined ? 1 : this.opts.deviceCodeIntervalSec,
      message:
        `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate. ` +
        `(m365-copilot-mcp emulator: not Microsoft's service.)`,
    };
  }

  approveDeviceCode(userCode: string, upn: string): DecisionResult | 'unknown_user' {
    const user = this.userByUpn(upn);
    if (user === undefined) return 'unknown_user';
    const result = this.deviceCodes.approve(userCode, user.id);
    if (result === 'ok') this.opts.stats.deviceCode('approved');
    return result;
  }

  denyDeviceCode(userCode: string): DecisionResult {
    const result = this.deviceCodes.deny(userCode);
    if (result === 'ok') this.opts.stats.deviceCode('denied');
    return result;
  }

  /** Who an authorize request is approved for without a page, if the emulator auto-approves. */
  autoApprovalUser(loginHint: string | undefined): EmuUser | undefined {
    if (this.autoApproveUserId === undefined) return undefined;
    // A hint naming a user of the tenant wins: that is who would have typed their name.
    const hinted = loginHint === undefined ? undefined : this.userByUpn(loginHint);
    return hinted ?? this.tenant.users.find((u) => u.id === this.autoApproveUserId);
  }

  authorizationRequested(): void {
    this.opts.stats.authorization('requests');
  }

  authorizationDenied(): void {
    this.opts.stats.authorization('denied');
  }

  /** Issues the code for an approved authorize request: the fields to send to the redirect URI. */
  approveAuthorization(request: AuthorizeRequest, user: EmuUser): Record<string, string> {
    const code = this.authorizationCodes.issue({
      clientId: request.app.clientId,
      redirectUri: request.redirectUri,
      userId: user.id,
      granted: request.granted,
      codeChallenge: request.codeChallenge,
      ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
    });
    this.opts.stats.authorization('approved');
    return { code, client_info: clientInfo(user, this.tenant.id) };
  }

  /** Revokes every refresh token of a user (e.g. to test "sign in again"); undefined if no such user. */
  revokeUser(upn: string): number | undefined {
    const user = this.userByUpn(upn);
    return user === undefined ? undefined : this.refreshTokens.revokeUser(user.id);
  }

  revokeAll(): number {
    return this.refreshTokens.revokeAll();
  }

  get accessTokenLifetimeSec(): number {
    return this.issuer.accessTokenLifetimeSec;
  }

  /** Applies to tokens issued from now on; those already issued keep their expiry. */
  setAccessTokenLifetime(seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 1) throw new RangeError(`the access token lifetime must be a whole number of seconds ≥ 1 (got ${seconds})`);
    this.issuer.accessTokenLifetimeSec = seconds;
  }

  /** True when `url` (without query) is this tenant's token endpoint under any tenant alias. */
  isTokenEndpoint(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    const segment = TOKEN_PATH.exec(parsed.pathname)?.[1];
    return parsed.origin === this.opts.authorityHost && segment !== undefined && this.resolvesToTenant(segment);
  }

  /**
   * The token endpoint. Resolves to the JSON answer, or throws the OAuthError to send.
   * `segment` is the tenant path segment the request was sent to (default: this tenant).
   */
  async token(form: URLSearchParams, client: PresentedClient, segment: TenantSegment = { kind: 'home', alias: false }): Promise<object> {
    const grant = grantLabel(form.get('grant_type'));
    this.opts.stats.tokenRequest(grant, findApp(this.tenant, client.clientId, this.extraApps)?.clientId ?? 'unknown', clientAuthMethod(client));
    try {
      // None of this tenant's apps is registered in the other directory.
      if (segment.kind === 'other') throw appNotInDirectory(client.clientId ?? '', segment.tenant.domain);
      const { body, upn } = await this.runGrant(grant, form, client, segment.alias);
      this.opts.stats.tokenIssued(grant, upn);
      return body;
    } catch (err) {
      if (err instanceof OAuthError) this.opts.stats.tokenError(err.error);
      throw err;
    }
  }

  private async runGrant(grant: GrantLabel, form: URLSearchParams, client: PresentedClient, viaAlias: boolean): Promise<Issued> {
    if (form.get('grant_type') === null) throw missing('grant_type');
    if (grant === 'unsupported') {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${form.get('grant_type')}'. ` +
          'The emulator supports authorization_code, device_code, refresh_token, client_credentials and jwt-bearer (on-behalf-of).',
      );
    }
    const app = requireApp(this.tenant, client.clientId, this.extraApps);
    if (grant === 'client_credentials') return this.clientCredentialsGrant(app, client, form);
    if (grant === 'on_behalf_of' && app.kind !== 'confidential') {
      throw new OAuthError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'. On-behalf-of needs a confidential client.");
    }
    if (app.kind === 'confidential') await authenticateConfidential(app, client, this.assertionContext(app));
    switch (grant) {
      case 'on_behalf_of':
        return this.onBehalfOfGrant(app, form, viaAlias, clientAuthMethod(client));
      case 'authorization_code':
        return this.authorizationCodeGrant(app, form);
      case 'device_code':
        return this.deviceCodeGrant(app, form);
      case 'refresh_token':
        return this.refreshGrant(app, form);
    }
  }

  private assertionContext(app: EmuApp): AssertionContext {
    return {
      certificates: this.opts.clientCertificates?.get(app.clientId) ?? [],
      isTokenEndpoint: (aud) => this.isTokenEndpoint(aud),
      nowMs: this.opts.clock(),
    };
  }

  private async clientCredentialsGrant(app: EmuApp, client: PresentedClient, form: URLSearchParams): Promise<Issued> {
    if (app.kind !== 'confidential') {
      throw new OAuthError(401, 'invalid_client', 7000218, `Application '${app.clientId}' is a public client: it holds no credential and cannot use client credentials.`);
    }
    await authenticateConfidential(app, client, this.assertionContext(app));
    const resource = requireDefaultScope(form.get('scope') ?? undefined, this.opts.graphResource, { apis: this.apis, tenantName: this.tenant.domain });
    const injected = this.injectedErrors.take({ grant: 'client_credentials', clientId: app.clientId, scopes: [...app.appRoles] });
    if (injected !== undefined) throw injected;
    if (resource.kind === 'api') {
      const api = apiApp(this.tenant, resource.api.clientId);
      if (api !== undefined) return { body: await issueApiAppToken(this.issuer, app, api, resource.requestedAs, clientAuthMethod(client)) };
    }
    return { body: await issueAppToken(this.issuer, app, clientAuthMethod(client)) };
  }

  /** The RFC 8707 `resource` a token request repeats must name the resource of its scopes, as at /authorize. */
  private checkResource(form: URLSearchParams, granted: GrantedScopes): void {
    checkResourceIndicator(form.getAll('resource'), granted, this.tenant, this.opts.graphResource);
  }

  private async onBehalfOfGrant(app: EmuApp, form: URLSearchParams, viaAlias: boolean, clientAuth: ClientAuthMethod): Promise<Issued> {
    const use = form.get('requested_token_use');
    if (use === null || use === '') throw missing('requested_token_use');
    if (use !== 'on_behalf_of') throw new OAuthError(400, 'invalid_request', 90018, `The requested_token_use '${use}' is not supported; use 'on_behalf_of'.`);
    const assertion = form.get('assertion');
    if (assertion === null || assertion === '') throw missing('assertion');
    const user = await checkOboAssertion(assertion, {
      tenant: this.tenant,
      keys: this.opts.keys,
      authorityHost: this.opts.authorityHost,
      nowMs: this.opts.clock(),
      app,
      viaAlias,
    });
    // What the server may get on behalf of a user is what an admin consented for it; asking more needs consent.
    const granted = resolveDelegatedScopes(form.get('scope') ?? undefined, app, this.opts.graphResource, { apis: this.apis, tenantName: this.tenant.domain, unconsented: 'consent_required' });
    if (granted.api !== undefined || granted.graph.length === 0) {
      throw new OAuthError(400, 'invalid_scope', 70011, "The provided value for the input parameter 'scope' is not valid: on-behalf-of in this emulator exchanges for Graph scopes, e.g. https://graph.microsoft.com/Files.Read.All.");
    }
    return this.delegated('on_behalf_of', user.id, app, granted, app.delegatedScopes.filter((s) => !OIDC_NAMES.has(s.toLowerCase())), undefined, clientAuth);
  }

  private async authorizationCodeGrant(app: EmuApp, form: URLSearchParams): Promise<Issued> {
    const code = form.get('code');
    if (code === null || code === '') throw missing('code');
    // The scopes are those the user approved at /authorize; the `scope` MSAL repeats here is not re-read.
    const grant = this.authorizationCodes.redeem(code, {
      clientId: app.clientId,
      redirectUri: form.get('redirect_uri') ?? undefined,
      codeVerifier: form.get('code_verifier') ?? undefined,
    });
    this.checkResource(form, grant.granted);
    return this.delegated('authorization_code', grant.userId, app, grant.granted, grant.granted.graph, grant.nonce);
  }

  private async deviceCodeGrant(app: EmuApp, form: URLSearchParams): Promise<Issued> {
    const deviceCode = form.get('device_code');
    if (deviceCode === null || deviceCode === '') throw missing('device_code');
    // The scopes are those of the device code request; what the poll repeats is not re-read.
    const { userId, granted } = this.deviceCodes.redeem(deviceCode, app.clientId);
    this.checkResource(form, granted);
    return this.delegated('device_code', userId, app, granted, granted.graph);
  }

  private async refreshGrant(app: EmuApp, form: URLSearchParams): Promise<Issued> {
    const refreshToken = form.get('refresh_token');
    if (refreshToken === null || refreshToken === '') throw missing('refresh_token');
    const rt = this.refreshTokens.redeem(refreshToken, app.clientId);
    const requested = resolveDelegatedScopes(form.get('scope') ?? undefined, app, this.opts.graphResource, { apis: this.apis, tenantName: this.tenant.domain });
    this.checkResource(form, requested);
    // A refresh token serves every resource, as Entra's do: a token for a web API the client is
    // pre-authorized for (resolveDelegatedScopes checks that) leaves the Graph consent on it unchanged.
    const oidc = [...new Set([...requested.oidc, 'offline_access' as const])];
    if (requested.api !== undefined) return this.delegated('refresh_token', rt.userId, app, { graph: [], oidc, api: requested.api }, rt.consented);
    // Admin consent (the usual case for Copilot API permissions) covers every delegated scope of the
    // app, so a refresh may ask for more; with per-user consent only what was approved at sign-in.
    const consented = app.adminConsented === false ? rt.consented : [...new Set([...rt.consented, ...app.delegatedScopes])];
    const notConsented = requested.graph.filter((s) => !consented.includes(s));
    if (notConsented.length > 0) {
      throw new OAuthError(
        400,
        'invalid_grant',
        65001,
        `The user has not consented to use the application with ID '${app.clientId}' for ${notConsented.join(', ')}. Sign in again requesting these scopes.`,
      );
    }
    const granted: GrantedScopes = {
      graph: requested.graph.length > 0 ? requested.graph : rt.consented,
      // A refresh always answers with a new refresh token (rotation), whatever the scope says.
      oidc,
    };
    return this.delegated('refresh_token', rt.userId, app, granted, app.adminConsented === false ? rt.consented : consented);
  }

  private async delegated(
    grant: GrantLabel,
    userId: string,
    app: EmuApp,
    granted: GrantedScopes,
    consented: string[],
    nonce?: string,
    clientAuth: ClientAuthMethod = 'none',
  ): Promise<Issued> {
    const user = this.tenant.users.find((u) => u.id === userId);
    if (user === undefined) {
      throw new OAuthError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
    }
    const injected = this.injectedErrors.take({ grant, clientId: app.clientId, upn: user.upn, scopes: granted.api?.scopes ?? granted.graph });
    if (injected !== undefined) throw injected;
    return { body: await issueDelegatedTokens(this.issuer, user, app, granted, consented, nonce, clientAuth), upn: user.upn };
  }
}
