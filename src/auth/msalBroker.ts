import type {
  AccountInfo,
  AuthenticationResult,
  ConfidentialClientApplication,
  Configuration,
  PublicClientApplication,
} from '@azure/msal-node';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SignedInAccount, TokenBroker, TokenGrant, TokenRequest } from './broker.js';
import { mapMsalError } from './msalErrors.js';
import { createNetworkClient } from './networkClient.js';

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

export interface MsalBrokerOptions {
  identity: IdentityEndpoints;
  publicClientId?: string;
  exportApp?: { clientId: string; clientSecret: string; authority: string };
  /** Delegated scopes asked for at sign-in (all enabled tools), so one sign-in serves every tool. */
  signInScopes: string[];
  signInWaitMs: number;
  log: Logger;
}

interface PendingSignIn {
  prompt: Promise<SignInPrompt>;
  result: Promise<AuthenticationResult>;
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/**
 * Device code for the local user, client credentials for app-only export; MSAL's in-memory cache.
 * MSAL is imported lazily so that `initialize` and `tools/list` never pay for it.
 */
export class MsalBroker implements TokenBroker {
  private pca?: Promise<PublicClientApplication>;
  private cca?: Promise<ConfidentialClientApplication>;
  private pending?: PendingSignIn;
  /** Why the last background sign-in failed, told once to the next caller (nobody was waiting then). */
  private lastSignInFailure?: string;
  /** The account the last sign-in produced; preferred when several are cached. */
  private activeHomeAccountId?: string;
  private readonly inFlight = new Map<string, Promise<TokenGrant>>();

  constructor(private readonly opts: MsalBrokerOptions) {}

  async getToken(request: TokenRequest, signal?: AbortSignal): Promise<TokenGrant> {
    const key = `${request.flow}:${request.forceRefresh ? 'fresh:' : ''}${[...request.scopes].sort().join(' ')}`;
    const existing = this.inFlight.get(key);
    if (existing) return withAbort(existing, signal);
    const acquisition = (request.flow === 'app' ? this.appToken(request.forceRefresh) : this.delegatedToken(request.scopes, signal, request.forceRefresh)).finally(() =>
      this.inFlight.delete(key),
    );
    this.inFlight.set(key, acquisition);
    return withAbort(acquisition, signal);
  }

  async currentAccount(): Promise<SignedInAccount | undefined> {
    if (!this.pca) return undefined;
    const account = await this.selectAccount(await this.pca);
    return account ? toSignedIn(account) : undefined;
  }

  private scoped(bare: string[]): string[] {
    return bare.map((s) => (OIDC_SCOPES.has(s) || s.includes('://') ? s : `${this.opts.identity.graphResource}/${s}`));
  }

  private toGrant(result: AuthenticationResult): TokenGrant {
    const prefix = `${this.opts.identity.graphResource}/`;
    return {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ?? undefined,
      scopes: result.scopes.map((s) => (s.startsWith(prefix) ? s.slice(prefix.length) : s)),
      ...(result.account ? { account: toSignedIn(result.account) } : {}),
    };
  }

  private async delegatedToken(bareScopes: string[], signal?: AbortSignal, forceRefresh = false): Promise<TokenGrant> {
    const scopes = this.scoped(bareScopes);
    const context = { scopes: bareScopes, flow: 'delegated' as const, authority: this.opts.identity.authority };
    const pca = await this.publicClient();
    const account = await this.selectAccount(pca);
    if (account) {
      try {
        return this.toGrant(await pca.acquireTokenSilent({ account, scopes, forceRefresh }));
      } catch (err) {
        const mapped = mapMsalError(err, context);
        if (mapped.code !== 'AuthRequired') throw mapped;
        this.opts.log.info('silent token acquisition needs a new sign-in', { scopes: bareScopes, reason: mapped.message });
        // Forget the dead session so the next sign-in's account is the one chosen afterwards.
        await pca.getTokenCache().removeAccount(account);
        if (this.activeHomeAccountId === account.homeAccountId) this.activeHomeAccountId = undefined;
      }
    }
    const pending = this.startSignIn(pca, bareScopes);
    const prompt = await withAbort(pending.prompt, signal).catch((err) => {
      throw mapMsalError(err, context);
    });
    const outcome = await Promise.race([
      pending.result.then((r) => ({ done: true as const, r })),
      delay(this.opts.signInWaitMs, signal).then(() => ({ done: false as const })),
    ]).catch((err) => {
      throw mapMsalError(err, context);
    });
    if (outcome.done) return this.toGrant(outcome.r);
    const previous = this.lastSignInFailure ? `The previous sign-in failed: ${this.lastSignInFailure}. ` : '';
    this.lastSignInFailure = undefined;
    throw new AppError('AuthPending', `${previous}Sign-in required. ${prompt.message}`, {
      nextStep: `Open ${prompt.verificationUri}, enter the code ${prompt.userCode}, finish signing in, then call the tool again. The code expires at ${prompt.expiresAt.toISOString()}.`,
      details: { verificationUri: prompt.verificationUri, userCode: prompt.userCode, expiresAt: prompt.expiresAt.toISOString() },
    });
  }

  /** One device-code flow at a time: a second caller joins the pending one instead of getting a new code. */
  private startSignIn(pca: PublicClientApplication, bareScopes: string[]): PendingSignIn {
    if (this.pending) return this.pending;
    const scopes = this.scoped([...new Set([...this.opts.signInScopes, ...bareScopes])]);
    let resolvePrompt!: (p: SignInPrompt) => void;
    let rejectPrompt!: (e: unknown) => void;
    const prompt = new Promise<SignInPrompt>((resolve, reject) => {
      resolvePrompt = resolve;
      rejectPrompt = reject;
    });
    const result = pca.acquireTokenByDeviceCode({
      scopes,
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
        });
      },
    }) as Promise<AuthenticationResult>;
    const pending: PendingSignIn = {
      prompt: Promise.race([prompt, result.then(() => Promise.reject(new Error('sign-in finished before a code was shown')))]),
      result,
    };
    this.pending = pending;
    result.then(
      (r) => {
        this.activeHomeAccountId = r.account?.homeAccountId;
        this.opts.log.info('signed in', { upn: r.account?.username, tenantId: r.account?.tenantId });
      },
      (err) => {
        const reason = mapMsalError(err, { scopes: bareScopes, flow: 'delegated', authority: this.opts.identity.authority }).message;
        this.lastSignInFailure = reason;
        this.opts.log.warn('device code sign-in failed', { error: reason });
      },
    ).finally(() => {
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
        nextStep: 'Set M365_COPILOT_MCP_EXPORT_CLIENT_ID and M365_COPILOT_MCP_EXPORT_CLIENT_SECRET (and M365_COPILOT_MCP_TENANT_ID to your tenant), then restart the server.',
      });
    }
    const scopes = [`${this.opts.identity.graphResource}/.default`];
    try {
      const cca = await this.confidentialClient(app);
      const result = await cca.acquireTokenByClientCredential({ scopes, skipCache: forceRefresh });
      if (!result) throw new AppError('AuthFailed', 'the identity provider returned no token for the export app', { nextStep: 'Retry; check the export app registration.' });
      return this.toGrant(result);
    } catch (err) {
      throw mapMsalError(err, { scopes: ['.default'], flow: 'app', authority: app.authority });
    }
  }

  private async selectAccount(pca: PublicClientApplication): Promise<AccountInfo | undefined> {
    const accounts = await pca.getTokenCache().getAllAccounts();
    return accounts.find((a) => a.homeAccountId === this.activeHomeAccountId) ?? accounts[0];
  }

  private msalConfig(clientId: string, authority: string, extra: Partial<Configuration['auth']> = {}): Configuration {
    const { identity, log } = this.opts;
    return {
      auth: { clientId, authority, knownAuthorities: identity.knownAuthorities, ...extra },
      system: {
        networkClient: createNetworkClient({
          ...(identity.extraCaPem ? { extraCaPem: identity.extraCaPem } : {}),
          ...(identity.onlyExtraCa ? { onlyExtraCa: true } : {}),
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
    this.pca ??= import('@azure/msal-node').then((msal) => new msal.PublicClientApplication(this.msalConfig(clientId, this.opts.identity.authority)));
    return this.pca;
  }

  private confidentialClient(app: NonNullable<MsalBrokerOptions['exportApp']>): Promise<ConfidentialClientApplication> {
    this.cca ??= import('@azure/msal-node').then(
      (msal) => new msal.ConfidentialClientApplication(this.msalConfig(app.clientId, app.authority, { clientSecret: app.clientSecret })),
    );
    return this.cca;
  }
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

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The caller may stop waiting; the shared acquisition carries on for the others. */
function withAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function cancelled(): AppError {
  return new AppError('Cancelled', 'the request was cancelled', { nextStep: 'Nothing to do; call the tool again if you still need the answer.' });
}
