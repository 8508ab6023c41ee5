import type { ICachePlugin } from '@azure/msal-node';
import { AppOnlyClient } from '../auth/appOnlyClient.js';
import type { TokenBroker } from '../auth/broker.js';
import { AccountStore } from '../auth/local/accountStore.js';
import { LocalBroker } from '../auth/local/localBroker.js';
import { PublicClientSession } from '../auth/local/publicClientSession.js';
import { SignInFlows } from '../auth/local/signInFlows.js';
import type { IdentityEndpoints } from '../auth/msalConfig.js';
import { ProvidedTokenBroker } from '../auth/providedTokenBroker.js';
import type { Endpoints } from '../config/endpoints.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';

/** What every local token flow needs to know about the identity provider. */
export function identityOf(endpoints: Endpoints): IdentityEndpoints {
  return {
    authority: endpoints.authority,
    knownAuthorities: endpoints.knownAuthorities,
    graphResource: endpoints.graphResource,
    ...(endpoints.extraCaPem ? { extraCaPem: endpoints.extraCaPem } : {}),
    onlyExtraCa: endpoints.onlyExtraCa,
  };
}

/** The export app's client credentials, alone: the HTTP server needs no public client to get them. */
export function appOnlyClient(endpoints: Endpoints, log: Logger): AppOnlyClient {
  return new AppOnlyClient({ app: endpoints.exportApp, identity: identityOf(endpoints), log: log.child({ component: 'auth' }) });
}

/**
 * The HTTP server's own app (the on-behalf-of client) asking app-only tokens with its secret: what
 * `doctor` uses to prove the credential works and that the advertised resource names this app.
 */
export function serverAppClient(endpoints: Endpoints, log: Logger, resource?: string): AppOnlyClient | undefined {
  const server = endpoints.serverApp;
  if (!server?.clientSecret) return undefined;
  const app = { clientId: server.clientId, clientSecret: server.clientSecret, authority: endpoints.authority };
  return new AppOnlyClient({ app, identity: identityOf(endpoints), log: log.child({ component: 'auth' }), ...(resource ? { resource } : {}) });
}

export interface LocalAuth {
  broker: TokenBroker;
  flows: SignInFlows;
  accounts: AccountStore;
  appOnly: AppOnlyClient;
}

/** The local user's auth (stdio server and terminal commands): one public client session shared by its flows. */
export function localAuth(config: Config, endpoints: Endpoints, log: Logger, cachePlugin?: ICachePlugin): LocalAuth {
  const authLog = log.child({ component: 'auth' });
  const session = new PublicClientSession({ identity: identityOf(endpoints), publicClientId: endpoints.publicClientId, account: config.account, cachePlugin, log: authLog });
  const flows = new SignInFlows(session, { baseScopes: ['User.Read'], signInWaitMs: config.signInWaitSeconds * 1000, autoApproved: config.demo });
  const appOnly = appOnlyClient(endpoints, log);
  const local = new LocalBroker(session, flows, appOnly);
  return { broker: config.accessToken ? new ProvidedTokenBroker(config.accessToken, appOnly) : local, flows, accounts: new AccountStore(session), appOnly };
}
