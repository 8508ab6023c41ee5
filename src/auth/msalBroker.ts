import type {
  AccountInfo,
  AuthenticationResult,
  ConfidentialClientApplication,
  Configuration,
  ICachePlugin,
  PublicClientApplication,
} from '@azure/msal-node';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SignedInAccount, TokenBroker, TokenGrant, TokenRequest } from './broker.js';
import { mapMsalError } from './msalErrors.js';
import { createNetworkClient } from './networkClient.js';
import { delay, withAbort } from './abort.js';

export interface IdentityEndpoints {
  /** e.g. https://login.microsoftonline.com/{tenant} */
  authority: string;
  /** Hosts MSAL may trust without instance discovery (needed for any non-Microsoft authority). */
  knownAuthorities: string[];
  /** Scope prefix, e.g. https://graph.microsoft.com */
  graphResource: string;
  extraCaPem?: string;
  /** Trust only the extra CA (the emulator), not the system roots. */
  onlyExtraCa?: boolean;
}

export interface SignInPrompt {
  verificationUri: string;
  userCode: string;
  message: string;
  expiresAt: Date;
}

export interface AppCredential {
  clientId: string;
  authority: string;
  clientSecret?: string;
  certificate?: { privateKey: string; thumbprintSha256: string; x5c?: string };
}

export interface MsalBrokerOptions {
  identity: IdentityEndpoints;
  publicClientId?: string;
  exportApp?: AppCredential;
  /** Asked for at every sign-in besides what the calling tool needs (e.g. User.Read). */
  baseScopes: string[];
  signInWaitMs: number;
  /** UPN of the account to use when several are cached; also the login hint. */
  account?: string;
  /** Persistence for the public client's cache (keychain / encrypted file); memory when absent. */
  cachePlugin?: ICachePlugin;
  log: Logger;
}

interface PendingSignIn {
  scopes: string[];
  prompt: Promise<SignInPrompt>;
  result: Promise<AuthenticationResult>;
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
/** MSAL renews access tokens this long before they expire (its default tokenRenewalOffsetSeconds). */
const RENEWAL_MARGIN_MS = 300_000;

/**
 * Delegated tokens for the local user (device code, or the browser for `login --browser`) and app-only
 * tokens for export (client secret or certificate). MSAL is imported lazily so that `initialize` and
 * `tools/list` never pay for it; its cache persists through the configured plugin.
 */
export class MsalBroker implements TokenBroker {
  private pca?: Promise<PublicClientApplication>;
  private cca?: Promise<ConfidentialClientApplication>;
  private pending?: PendingSignIn;
  /** Why the last background sign-in failed, told once to the next caller (nobody was waiting then). */
  private lastSignInFailure?: string;
  /** The account the last sign-in produced; preferred when several are cached. */
  private activeHomeAccountId?: string;
  /** Scopes already granted to the signed-in user, so a new sign-in never narrows them. */
  private readonly granted = new Set<string>();
  private readonly inFlight = new Map<string, Promise<TokenGrant>>();
  private discoveryError?: string;
  /**
   * Delegated grants still comfortably valid, by scope key: the hot path answers from here without
   * MSAL's cache lookup. Renewed on the same margin MSAL uses, so behaviour does not change.
   */
  private readonly fresh = new Map<string, TokenGrant>();

  constructor(private readonly opts: MsalBrokerOptions) {}

  private mapError(err: unknown, scopes: string[], flow: 'delegated' | 'app' = 'delegated', authority = this.opts.identity.authority): AppError {
    const clientId = flow === 'app' ? this.opts.exportApp?.clientId : this.opts.publicClientId;
    return mapMsalError(err, { scopes, flow, authority, ...(clientId ? { clientId } : {}), ...(this.discoveryError ? { discoveryError: this.discoveryError } : {}) });
  }

  async getToken(request: TokenRequest, signal?: AbortSignal): Promise<TokenGrant> {
    const scopeKey = `${request.flow}:${[...request.scopes].sort().join(' ')}`;
    if (request.forceRefresh) this.fresh.delete(scopeKey);
    const memo = this.fresh.get(scopeKey);
    if (memo && memo.expiresOn && memo.expiresOn.getTime() - RENEWAL_MARGIN_MS > Date.now()) return memo;
    // Single flight: concurrent calls for the same token share one acquisition.
    const key = `${request.forceRefresh ? 'fresh:' : ''}${scopeKey}`;
    const existing = this.inFlight.get(key);
    if (existing) return withAbort(existing, signal);
    const acquisition = (request.flow === 'app' ? this.appToken(request.forceRefresh) : this.delegatedToken(request.scopes, signal, request.forceRefresh))
      .then((grant) => {
        this.fresh.set(scopeKey, grant);
        return grant;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, acquisition);
    return withAbort(acquisition, signal);
  }

  async currentAccount(): Promise<SignedInAccount | undefined> {
    if (!this.opts.publicClientId) return undefined;
    // While a delegated token is memoised, its account is the one in use: no cache read (the audit
    // trail asks on every call, and the persistent cache costs a file lock and a decryption).
    for (const [key, grant] of this.fresh) {
      if (key.startsWith('delegated:') && grant.account && grant.expiresOn && grant.expiresOn.getTime() - RENEWAL_MARGIN_MS > Date.now()) return grant.account;
    }
    const account = await this.selectAccount(await this.publicClient());
    return account ? toSignedIn(account) : undefined;
  }

  grantedScopes(): string[] {
    return [...this.granted].sort();
  }

  /** Cached accounts of this authority's cloud (other environments in a shared cache are ignored). */
  async accounts(): Promise<SignedInAccount[]> {
    if (!this.opts.publicClientId) return [];
    return (await this.cachedAccounts(await this.publicClient())).map(toSignedIn);
  }

  /** The serialized cache, for `status` to read scopes and expiry (never printed as is). */
  async cacheSnapshot(): Promise<string> {
    return (await this.publicClient()).getTokenCache().serialize();
  }

  /** Waits for a pending sign-in to finish (URL elicitation); false when it did not within the time. */
  async awaitSignIn(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const pending = this.pending;
    if (!pending) return true;
    const outcome = await Promise.race([pending.result.then(() => true), delay(timeoutMs, signal).then(() => false)]).catch((err) => {
      throw this.mapError(err, pending.scopes);
    });
    return outcome;
  }

  /**
   * Interactive sign-in for the `login` command: device code (prompt shown through `onPrompt`) or the
   * system browser (auth code + PKCE on a loopback redirect).
   */
  async signIn(method: 'device-code' | 'browser', scopes: string[], hooks: { onPrompt(prompt: SignInPrompt): void; openBrowser(url: string): Promise<void> }): Promise<SignedInAccount> {
    const pca = await this.publicClient();
    const wanted = this.scoped([...new Set([...this.opts.baseScopes, ...scopes])]);
    const context = { scopes, flow: 'delegated' as const, authority: this.opts.identity.authority };
    try {
      const result =
        method === 'browser'
          ? await pca.acquireTokenInteractive({
              scopes: wanted,
              openBrowser: hooks.openBrowser,
              ...(this.opts.account ? { loginHint: this.opts.account } : {}),
              successTemplate: '<p>Signed in to m365-copilot-mcp. You can close this window.</p>',
              errorTemplate: '<p>Sign-in failed: {{error}}. You can close this window and try again.</p>',
            })
          : await pca.acquireTokenByDeviceCode({
              scopes: wanted,
              deviceCodeCallback: (r) =>
                hooks.onPrompt({ verificationUri: r.verificationUri, userCode: r.userCode, message: r.message, expiresAt: new Date(Date.now() + r.expiresIn * 1000) }),
            });
      if (!result?.account) throw new AppError('AuthFailed', 'the identity provider returned no account', { nextStep: 'Retry the sign-in.' });
      this.remember(result);
      return toSignedIn(result.account);
    } catch (err) {
      throw this.mapError(err, context.scopes);
    }
  }

  /** Removes one cached account (by UPN) or all; returns the UPNs removed. */
  async signOut(which: { upn?: string; all?: boolean }): Promise<string[]> {
    const pca = await this.publicClient();
    const accounts = await this.cachedAccounts(pca);
    const targets = which.all ? accounts : accounts.filter((a) => a.username.toLowerCase() === (which.upn ?? this.opts.account ?? accounts[0]?.username ?? '').toLowerCase());
    for (const a of targets) await pca.getTokenCache().removeAccount(a);
    this.fresh.clear();
    return targets.map((a) => a.username);
  }

  private scoped(bare: string[]): string[] {
    return bare.map((s) => (OIDC_SCOPES.has(s) || s.includes('://') ? s : `${this.opts.identity.graphResource}/${s}`));
  }

  private bare(scopes: string[]): string[] {
    const prefix = `${this.opts.identity.graphResource}/`;
    return scopes.map((s) => (s.startsWith(prefix) ? s.slice(prefix.length) : s));
  }

  private remember(result: AuthenticationResult): void {
    if (result.account && result.account.homeAccountId !== this.activeHomeAccountId) this.fresh.clear();
    if (result.account) this.activeHomeAccountId = result.account.homeAccountId;
    for (const s of this.bare(result.scopes)) if (!OIDC_SCOPES.has(s)) this.granted.add(s);
  }

  private toGrant(result: AuthenticationResult): TokenGrant {
    return {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ?? undefined,
      scopes: this.bare(result.scopes),
      ...(result.account ? { account: toSignedIn(result.account) } : {}),
    };
  }

  private async delegatedToken(bareScopes: string[], signal?: AbortSignal, forceRefresh = false): Promise<TokenGrant> {
    const context = { scopes: bareScopes, flow: 'delegated' as const, authority: this.opts.identity.authority };
    const pca = await this.publicClient();
    const account = await this.selectAccount(pca);
    let why: AppError | undefined;
    if (account) {
      try {
        const result = await pca.acquireTokenSilent({ account, scopes: this.scoped(bareScopes), forceRefresh });
        this.remember(result);
        return this.toGrant(result);
      } catch (err) {
        const mapped = this.mapError(err, context.scopes);
        if (mapped.code !== 'AuthRequired') throw mapped;
        this.opts.log.info('silent token acquisition needs a sign-in', { scopes: bareScopes, reason: mapped.message });
        why = mapped;
        // A session that can no longer refresh is forgotten; one that only lacks consent or MFA is kept.
        if (!isConsentOrInteraction(mapped)) {
          await pca.getTokenCache().removeAccount(account);
          if (this.activeHomeAccountId === account.homeAccountId) this.activeHomeAccountId = undefined;
          this.granted.clear();
          this.fresh.clear();
        }
      }
    }
    const pending = this.startSignIn(pca, bareScopes);
    const prompt = await withAbort(pending.prompt, signal).catch((err) => {
      throw this.mapError(err, context.scopes);
    });
    const outcome = await Promise.race([
      pending.result.then((r) => ({ done: true as const, r })),
      delay(this.opts.signInWaitMs, signal).then(() => ({ done: false as const })),
    ]).catch((err) => {
      throw this.mapError(err, context.scopes);
    });
    if (outcome.done) {
      // The flow may have been started for other scopes; ask again silently for exactly these.
      if (!bareScopes.every((s) => this.granted.has(s))) return this.delegatedToken(bareScopes, signal);
      return this.toGrant(outcome.r);
    }
    const previous = this.lastSignInFailure ? `The previous sign-in failed: ${this.lastSignInFailure}. ` : '';
    this.lastSignInFailure = undefined;
    const reason = why ? ` (${why.message})` : '';
    const consentHint = why?.details['consent'] && why.nextStep ? ` ${why.nextStep}` : '';
    throw new AppError('AuthPending', `${previous}Sign-in required${reason}. ${prompt.message}`, {
      nextStep: `Open ${prompt.verificationUri}, enter the code ${prompt.userCode}, finish signing in, then call the tool again. The code expires at ${prompt.expiresAt.toISOString()}.${consentHint}`,
      details: { verificationUri: prompt.verificationUri, userCode: prompt.userCode, expiresAt: prompt.expiresAt.toISOString() },
    });
  }

  /**
   * One device-code flow at a time: a second caller joins the pending one instead of getting a new
   * code. Scopes are incremental: what this tool needs, plus what was granted before.
   */
  private startSignIn(pca: PublicClientApplication, bareScopes: string[]): PendingSignIn {
    if (this.pending) return this.pending;
    const scopes = [...new Set([...this.opts.baseScopes, ...this.granted, ...bareScopes])];
    let resolvePrompt!: (p: SignInPrompt) => void;
    let rejectPrompt!: (e: unknown) => void;
    const prompt = new Promise<SignInPrompt>((resolve, reject) => {
      resolvePrompt = resolve;
      rejectPrompt = reject;
    });
    const result = pca.acquireTokenByDeviceCode({
      scopes: this.scoped(scopes),
      deviceCodeCallback: (response) => {
        // MSAL calls back with an empty object when the devicecode endpoint refused; its own error names no cause.
        if (!response.userCode || !response.verificationUri) {
          rejectPrompt(
            new AppError('AuthFailed', 'the identity provider refused to start a device-code sign-in', {
              nextStep: 'Check that the client id exists in the tenant, allows public client flows, and that the requested delegated permissions are configured on it.',
            }),
          );
          return;
        }
        resolvePrompt({
          verificationUri: response.verificationUri,
          userCode: response.userCode,
          message: response.message,
          expiresAt: new Date(Date.now() + response.expiresIn * 1000),
        });
        // The code itself goes only to the client that asked; the log says where to look.
        this.opts.log.info('device code sign-in started; the verification URL and code were returned to the MCP client', {
          verificationUri: response.verificationUri,
          scopes,
        });
      },
    }) as Promise<AuthenticationResult>;
    const pending: PendingSignIn = {
      scopes,
      prompt: Promise.race([prompt, result.then(() => Promise.reject(new Error('sign-in finished before a code was shown')))]),
      result,
    };
    this.pending = pending;
    result
      .then(
        (r) => {
          if (this.opts.account && r.account && r.account.username.toLowerCase() !== this.opts.account.toLowerCase()) {
            this.lastSignInFailure = `you signed in as ${r.account.username} but --account asks for ${this.opts.account}`;
          }
          this.remember(r);
          this.opts.log.info('signed in', { upn: r.account?.username, tenantId: r.account?.tenantId });
        },
        (err) => {
          const reason = this.mapError(err, scopes).message;
          this.lastSignInFailure = reason;
          this.opts.log.warn('device code sign-in failed', { error: reason });
        },
      )
      .finally(() => {
        if (this.pending === pending) this.pending = undefined;
      });
    // Keep late rejections from becoming unhandled when nobody is waiting any more.
    pending.prompt.catch(() => {});
    return pending;
  }

  private async appToken(forceRefresh = false): Promise<TokenGrant> {
    const app = this.opts.exportApp;
    if (!app) {
      throw new AppError('ConfigInvalid', 'interaction export needs an app registration with the application permission AiEnterpriseInteraction.Read.All, and none is configured', {
        nextStep:
          'Set M365_COPILOT_MCP_EXPORT_CLIENT_ID with M365_COPILOT_MCP_EXPORT_CLIENT_SECRET or M365_COPILOT_MCP_EXPORT_CERTIFICATE (and M365_COPILOT_MCP_TENANT_ID to your tenant), then restart the server.',
      });
    }
    const scopes = [`${this.opts.identity.graphResource}/.default`];
    try {
      const cca = await this.confidentialClient(app);
      const result = await cca.acquireTokenByClientCredential({ scopes, skipCache: forceRefresh });
      if (!result) throw new AppError('AuthFailed', 'the identity provider returned no token for the export app', { nextStep: 'Retry; check the export app registration.' });
      return this.toGrant(result);
    } catch (err) {
      throw this.mapError(err, ['.default'], 'app', app.authority);
    }
  }

  private async cachedAccounts(pca: PublicClientApplication): Promise<AccountInfo[]> {
    const host = new URL(this.opts.identity.authority).host.toLowerCase();
    const all = await pca.getTokenCache().getAllAccounts();
    // A shared cache may hold accounts of other clouds or of an earlier emulator: only this authority's count.
    return all.filter((a) => a.environment.toLowerCase() === host);
  }

  private async selectAccount(pca: PublicClientApplication): Promise<AccountInfo | undefined> {
    const accounts = await this.cachedAccounts(pca);
    if (this.opts.account) return accounts.find((a) => a.username.toLowerCase() === this.opts.account!.toLowerCase());
    return accounts.find((a) => a.homeAccountId === this.activeHomeAccountId) ?? accounts[0];
  }

  private msalConfig(clientId: string, authority: string, auth: Partial<Configuration['auth']> = {}, cachePlugin?: ICachePlugin): Configuration {
    const { identity, log } = this.opts;
    return {
      auth: { clientId, authority, knownAuthorities: identity.knownAuthorities, ...auth },
      ...(cachePlugin ? { cache: { cachePlugin } } : {}),
      system: {
        networkClient: createNetworkClient({
          ...(identity.extraCaPem ? { extraCaPem: identity.extraCaPem } : {}),
          ...(identity.onlyExtraCa ? { onlyExtraCa: true } : {}),
          onDiscoveryError: (description) => (this.discoveryError = description),
        }),
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: 1, // Warning
          loggerCallback: (_level, message) => log.debug('msal', { message }),
        },
      },
    };
  }

  private publicClient(): Promise<PublicClientApplication> {
    const clientId = this.opts.publicClientId;
    if (!clientId) {
      return Promise.reject(
        new AppError('ConfigInvalid', 'no client id is configured for delegated sign-in', {
          nextStep: 'Register a public client app in Entra ID (see README "Connect a real tenant") and set M365_COPILOT_MCP_CLIENT_ID (or --client-id), or run with --demo.',
        }),
      );
    }
    this.pca ??= import('@azure/msal-node').then(
      (msal) => new msal.PublicClientApplication(this.msalConfig(clientId, this.opts.identity.authority, {}, this.opts.cachePlugin)),
    );
    return this.pca;
  }

  private confidentialClient(app: AppCredential): Promise<ConfidentialClientApplication> {
    const credential = app.certificate
      ? { clientCertificate: { privateKey: app.certificate.privateKey, thumbprintSha256: app.certificate.thumbprintSha256, ...(app.certificate.x5c ? { x5c: app.certificate.x5c } : {}) } }
      : { clientSecret: app.clientSecret };
    // App tokens stay in memory: they are cheap to get again and need no user.
    this.cca ??= import('@azure/msal-node').then((msal) => new msal.ConfidentialClientApplication(this.msalConfig(app.clientId, app.authority, credential)));
    return this.cca;
  }
}

function isConsentOrInteraction(err: AppError): boolean {
  const code = String(err.details['msalErrorCode'] ?? '');
  return code === 'consent_required' || code === 'interaction_required' || /65001|not consented|consent/i.test(err.message);
}

function toSignedIn(account: AccountInfo): SignedInAccount {
  return {
    userId: account.localAccountId,
    upn: account.username,
    tenantId: account.tenantId,
    homeAccountId: account.homeAccountId,
    ...(account.name ? { displayName: account.name } : {}),
  };
}
