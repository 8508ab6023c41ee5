import type { EmuApp, EmuUser, Tenant } from '../model.js';
import type { EmulatorStats } from '../stats.js';
import { authenticateConfidential, findApp, requireApp, type PresentedClient } from './clients.js';
import { DeviceCodeStore, type DecisionResult } from './deviceCodes.js';
import type { SigningKeys } from './keys.js';
import { OAuthError } from './oauthError.js';
import { RefreshTokenStore } from './refreshTokens.js';
import { requireDefaultScope, resolveDelegatedScopes, type GrantedScopes } from './scopes.js';
import { issueAppToken, issueDelegatedTokens, type IssuerContext } from './tokens.js';

export interface IdentityProviderOptions {
  tenant: Tenant;
  keys: SigningKeys;
  stats: EmulatorStats;
  /** https origin, e.g. https://127.0.0.1:43123 */
  authorityHost: string;
  graphResource: string;
  accessTokenLifetimeSec: number;
  deviceCodeIntervalSec: number;
  /** Approves every new device code for this user at once (the demo has nobody to click). */
  autoApproveUpn?: string;
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

export type GrantLabel = 'device_code' | 'refresh_token' | 'client_credentials' | 'unsupported';

const DEVICE_CODE_LIFETIME_SEC = 900;

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
    case 'refresh_token':
    case 'client_credentials':
      return grantType;
    default:
      return 'unsupported';
  }
}

function missing(parameter: string): OAuthError {
  return new OAuthError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${parameter}'.`);
}

/**
 * The emulated Entra ID: device code sign-in, refresh with rotation, client credentials.
 * Transport-free so the rules can be read (and tested) apart from HTTP.
 */
export class IdentityProvider {
  readonly deviceCodes: DeviceCodeStore;
  readonly refreshTokens: RefreshTokenStore;
  private readonly issuer: IssuerContext;
  private readonly autoApproveUserId: string | undefined;

  constructor(private readonly opts: IdentityProviderOptions) {
    this.deviceCodes = new DeviceCodeStore(opts.clock, DEVICE_CODE_LIFETIME_SEC);
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
    const s = segment.toLowerCase();
    return s === this.tenant.id.toLowerCase() || s === this.tenant.domain.toLowerCase() || s === 'organizations' || s === 'common';
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
    const granted = resolveDelegatedScopes(form.get('scope') ?? undefined, app, this.opts.graphResource);
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

  /** Revokes every refresh token of a user (e.g. to test "sign in again"); undefined if no such user. */
  revokeUser(upn: string): number | undefined {
    const user = this.userByUpn(upn);
    return user === undefined ? undefined : this.refreshTokens.revokeUser(user.id);
  }

  /** The token endpoint. Resolves to the JSON answer, or throws the OAuthError to send. */
  async token(form: URLSearchParams, client: PresentedClient): Promise<object> {
    const grant = grantLabel(form.get('grant_type'));
    this.opts.stats.tokenRequest(grant, findApp(this.tenant, client.clientId)?.clientId ?? 'unknown');
    try {
      const { body, upn } = await this.runGrant(grant, form, client);
      this.opts.stats.tokenIssued(grant, upn);
      return body;
    } catch (err) {
      if (err instanceof OAuthError) this.opts.stats.tokenError(err.error);
      throw err;
    }
  }

  private async runGrant(grant: GrantLabel, form: URLSearchParams, client: PresentedClient): Promise<Issued> {
    if (form.get('grant_type') === null) throw missing('grant_type');
    if (grant === 'unsupported') {
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${form.get('grant_type')}'. The emulator supports device_code, refresh_token and client_credentials.`,
      );
    }
    const app = requireApp(this.tenant, client.clientId);
    if (grant === 'client_credentials') return this.clientCredentialsGrant(app, client, form);
    if (app.kind === 'confidential') authenticateConfidential(app, client);
    return grant === 'device_code' ? this.deviceCodeGrant(app, form) : this.refreshGrant(app, form);
  }

  private async clientCredentialsGrant(app: EmuApp, client: PresentedClient, form: URLSearchParams): Promise<Issued> {
    if (app.kind !== 'confidential') {
      throw new OAuthError(401, 'invalid_client', 7000218, `Application '${app.clientId}' is a public client: it holds no secret and cannot use client credentials.`);
    }
    authenticateConfidential(app, client);
    requireDefaultScope(form.get('scope') ?? undefined, this.opts.graphResource);
    return { body: await issueAppToken(this.issuer, app) };
  }

  private async deviceCodeGrant(app: EmuApp, form: URLSearchParams): Promise<Issued> {
    const deviceCode = form.get('device_code');
    if (deviceCode === null || deviceCode === '') throw missing('device_code');
    // The scopes are those of the device code request; what the poll repeats is not re-read.
    const { userId, granted } = this.deviceCodes.redeem(deviceCode, app.clientId);
    return this.delegated(userId, app, granted, granted.graph);
  }

  private async refreshGrant(app: EmuApp, form: URLSearchParams): Promise<Issued> {
    const refreshToken = form.get('refresh_token');
    if (refreshToken === null || refreshToken === '') throw missing('refresh_token');
    const rt = this.refreshTokens.redeem(refreshToken, app.clientId);
    const requested = resolveDelegatedScopes(form.get('scope') ?? undefined, app, this.opts.graphResource);
    const notConsented = requested.graph.filter((s) => !rt.consented.includes(s));
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
      oidc: [...new Set([...requested.oidc, 'offline_access' as const])],
    };
    return this.delegated(rt.userId, app, granted, rt.consented);
  }

  private async delegated(userId: string, app: EmuApp, granted: GrantedScopes, consented: string[]): Promise<Issued> {
    const user = this.tenant.users.find((u) => u.id === userId);
    if (user === undefined) {
      throw new OAuthError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
    }
    return { body: await issueDelegatedTokens(this.issuer, user, app, granted, consented), upn: user.upn };
  }
}
