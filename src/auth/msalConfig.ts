import type { Configuration, ICachePlugin, INetworkModule } from '@azure/msal-node';
import type { Logger } from '../log.js';
import { createNetworkClient } from './networkClient.js';

/** Where identity traffic goes and whom it trusts. */
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

/** The network client every MSAL application of a process shares: the same trust list (the emulator CA, corporate roots). */
export function identityNetwork(identity: Pick<IdentityEndpoints, 'extraCaPem' | 'onlyExtraCa'>, onDiscoveryError?: (description: string) => void): INetworkModule {
  return createNetworkClient({
    ...(identity.extraCaPem ? { extraCaPem: identity.extraCaPem } : {}),
    ...(identity.onlyExtraCa ? { onlyExtraCa: true } : {}),
    ...(onDiscoveryError ? { onDiscoveryError } : {}),
  });
}

/** One MSAL application's configuration: our network client, MSAL's logging at warning level into our debug log, never PII. */
export function msalConfiguration(opts: {
  clientId: string;
  authority: string;
  knownAuthorities: string[];
  auth?: Partial<Configuration['auth']>;
  cachePlugin?: ICachePlugin | undefined;
  network: INetworkModule;
  log: Logger;
}): Configuration {
  return {
    auth: { clientId: opts.clientId, authority: opts.authority, knownAuthorities: opts.knownAuthorities, ...opts.auth },
    ...(opts.cachePlugin ? { cache: { cachePlugin: opts.cachePlugin } } : {}),
    system: {
      networkClient: opts.network,
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: 1, // Warning
        loggerCallback: (_level, message) => opts.log.debug('msal', { message }),
      },
    },
  };
}
