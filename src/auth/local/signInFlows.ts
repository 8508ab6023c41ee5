import type { AuthenticationResult, PublicClientApplication } from '@azure/msal-node';
import { AppError } from '../../errors.js';
import { delay, withAbort } from '../abort.js';
import type { SignedInAccount, TokenGrant } from '../broker.js';
import { toSignedIn, type PublicClientSession } from './publicClientSession.js';

export interface SignInPrompt {
  verificationUri: string;
  userCode: string;
  message: string;
  expiresAt: Date;
}

interface PendingSignIn {
  scopes: string[];
  prompt: Promise<SignInPrompt>;
  result: Promise<AuthenticationResult>;
}

export interface SignInFlowOptions {
  /** Asked for at every sign-in besides what the calling tool needs (e.g. User.Read). */
  baseScopes: string[];
  /** How long a tool call waits for a device-code sign-in before answering with the code. */
  signInWaitMs: number;
  /** --demo: the in-process emulated tenant approves every sign-in by itself. */
  autoApproved?: boolean;
}

/**
 * The local user's delegated tokens: silently from the cache when it can, else a device-code sign-in
 * whose code goes back to the tool call (which may wait for it), and `login`'s interactive sign-in.
 */
export class SignInFlows {
  private pending?: PendingSignIn;
  /** Why the last background sign-in failed, told once to the next caller (nobody was waiting then). */
  private lastSignInFailure?: string;

  constructor(
    private readonly session: PublicClientSession,
    private readonly opts: SignInFlowOptions,
  ) {}

  /** A token for exactly these bare scopes: silent, else sign-in (AuthPending when it does not finish in time). */
  async delegatedToken(bareScopes: string[], signal?: AbortSignal, forceRefresh = false, silentOnly = false): Promise<TokenGrant> {
    const { session } = this;
    const pca = await session.client();
    const account = await session.selectAccount(pca);
    let why: AppError | undefined;
    if (account) {
      try {
        const result = await pca.acquireTokenSilent({ account, scopes: session.names.scoped(bareScopes), forceRefresh });
        session.remember(result);
        return session.toGrant(result);
      } catch (err) {
        const mapped = session.mapError(err, bareScopes);
        if (mapped.code !== 'AuthRequired') throw mapped;
        // Asked not to prompt: the session stays as it is, whatever the reason.
        if (silentOnly) throw mapped;
        session.opts.log.info('silent token acquisition needs a sign-in', { scopes: bareScopes, reason: mapped.message });
        why = mapped;
        // A session that can no longer refresh is forgotten; one that only lacks consent or MFA is kept.
        if (!isConsentOrInteraction(mapped)) await session.forget(account);
      }
    }
    if (silentOnly) throw new AppError('AuthRequired', 'nobody is signed in', { nextStep: 'Call a tool that signs in first, or run `m365-copilot-mcp login`.' });
    const pending = this.startSignIn(pca, bareScopes);
    const prompt = await withAbort(pending.prompt, signal).catch((err) => {
      throw session.mapError(err, bareScopes);
    });
    const outcome = await Promise.race([
      pending.result.then((r) => ({ done: true as const, r })),
      delay(this.opts.signInWaitMs, signal).then(() => ({ done: false as const })),
    ]).catch((err) => {
      throw session.mapError(err, bareScopes);
    });
    if (outcome.done) {
      // The flow may have been started for other scopes; ask again silently for exactly these.
      if (!bareScopes.every((s) => session.granted.has(s))) return this.delegatedToken(bareScopes, signal);
      return session.toGrant(outcome.r);
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

  /** Waits for a pending sign-in to finish (URL elicitation); false when it did not within the time. */
  async awaitSignIn(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const pending = this.pending;
    if (!pending) return true;
    return Promise.race([pending.result.then(() => true), delay(timeoutMs, signal).then(() => false)]).catch((err) => {
      throw this.session.mapError(err, pending.scopes);
    });
  }

  /** `login`: device code (prompt shown through `onPrompt`) or the system browser (auth code + PKCE on a loopback redirect). */
  async signIn(method: 'device-code' | 'browser', scopes: string[], hooks: { onPrompt(prompt: SignInPrompt): void; openBrowser(url: string): Promise<void> }): Promise<SignedInAccount> {
    const { session } = this;
    const pca = await session.client();
    const wanted = session.names.scoped([...new Set([...this.opts.baseScopes, ...scopes])]);
    const account = session.opts.account;
    try {
      const result =
        method === 'browser'
          ? await pca.acquireTokenInteractive({
              scopes: wanted,
              openBrowser: hooks.openBrowser,
              ...(account ? { loginHint: account } : {}),
              successTemplate: '<p>Signed in to m365-copilot-mcp. You can close this window.</p>',
              errorTemplate: '<p>Sign-in failed: {{error}}. You can close this window and try again.</p>',
            })
          : await pca.acquireTokenByDeviceCode({
              scopes: wanted,
              deviceCodeCallback: (r) =>
                hooks.onPrompt({ verificationUri: r.verificationUri, userCode: r.userCode, message: r.message, expiresAt: new Date(Date.now() + r.expiresIn * 1000) }),
            });
      if (!result?.account) throw new AppError('AuthFailed', 'the identity provider returned no account', { nextStep: 'Retry the sign-in.' });
      session.remember(result);
      return toSignedIn(result.account);
    } catch (err) {
      throw session.mapError(err, scopes);
    }
  }

  /**
   * One device-code flow at a time: a second caller joins the pending one instead of getting a new
   * code. Scopes are incremental: what this tool needs, plus what was granted before.
   */
  private startSignIn(pca: PublicClientApplication, bareScopes: string[]): PendingSignIn {
    if (this.pending) return this.pending;
    const { session } = this;
    const log = session.opts.log;
    const scopes = [...new Set([...this.opts.baseScopes, ...session.granted, ...bareScopes])];
    let resolvePrompt!: (p: SignInPrompt) => void;
    let rejectPrompt!: (e: unknown) => void;
    const prompt = new Promise<SignInPrompt>((resolve, reject) => {
      resolvePrompt = resolve;
      rejectPrompt = reject;
    });
    const result = pca.acquireTokenByDeviceCode({
      scopes: session.names.scoped(scopes),
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
        resolvePrompt({ verificationUri: response.verificationUri, userCode: response.userCode, message: response.message, expiresAt: new Date(Date.now() + response.expiresIn * 1000) });
        // The code itself goes only to the tool call that asked; the log says where to look.
        log.info(
          this.opts.autoApproved
            ? 'device code sign-in started; the emulated tenant approves it as its demo user'
            : 'device code sign-in started; the tool call that needs it answers with the verification URL and code',
          { verificationUri: response.verificationUri, scopes },
        );
      },
    }) as Promise<AuthenticationResult>;
    const pending: PendingSignIn = {
      scopes,
      prompt: Promise.race([prompt, result.then(() => Promise.reject(new Error('sign-in finished before a code was shown')))]),
      result,
    };
    this.pending = pending;
    const wanted = session.opts.account;
    result
      .then(
        (r) => {
          if (wanted && r.account && r.account.username.toLowerCase() !== wanted.toLowerCase()) {
            this.lastSignInFailure = `you signed in as ${r.account.username} but --account asks for ${wanted}`;
          }
          session.remember(r);
          log.info('signed in', { upn: r.account?.username, tenantId: r.account?.tenantId });
        },
        (err) => {
          const reason = session.mapError(err, scopes).message;
          this.lastSignInFailure = reason;
          log.warn('device code sign-in failed', { error: reason });
        },
      )
      .finally(() => {
        if (this.pending === pending) this.pending = undefined;
      });
    // Keep late rejections from becoming unhandled when nobody is waiting any more.
    pending.prompt.catch(() => {});
    return pending;
  }
}

function isConsentOrInteraction(err: AppError): boolean {
  const code = String(err.details['msalErrorCode'] ?? '');
  return code === 'consent_required' || code === 'interaction_required' || /65001|not consented|consent/i.test(err.message);
}
