import type { ConfidentialClientApplication, Configuration, INetworkModule } from '@azure/msal-node';
import type { Logger } from '../../log.js';
import type { RedisTokenStore } from '../cache/redisTokenStore.js';
import { createNetworkClient } from '../networkClient.js';

export interface UserAppFactoryOptions {
  authorityHost: string;
  clientId: string;
  clientSecret: string;
  knownAuthorities: string[];
  extraCaPem?: string;
  onlyExtraCa?: boolean;
  redis?: RedisTokenStore;
  log: Logger;
}

/**
 * Builds the MSAL app of one user partition. MSAL keeps its token cache per application object,
 * and its distributed plugin writes the whole in-memory cache to one partition, so one app per
 * user is what keeps partitions apart. What is expensive and user-independent is shared: MSAL is
 * imported once, one network client serves every app, and the tenant's OpenID metadata is read
 * once and handed to each new app, so a new user costs no discovery round trip.
 */
export class UserAppFactory {
  private msal?: Promise<typeof import('@azure/msal-node')>;
  private readonly network: INetworkModule;
  private readonly metadata = new Map<string, Promise<string | undefined>>();
  /** What the identity provider said when its metadata could not be read (for error messages). */
  discoveryError: string | undefined;

  constructor(private readonly opts: UserAppFactoryOptions) {
    this.network = createNetworkClient({
      ...(opts.extraCaPem ? { extraCaPem: opts.extraCaPem } : {}),
      ...(opts.onlyExtraCa ? { onlyExtraCa: true } : {}),
      onDiscoveryError: (description) => (this.discoveryError = description),
    });
  }

  authority(tenantId: string): string {
    return `${this.opts.authorityHost.replace(/\/+$/, '')}/${tenantId}`;
  }

  async create(partition: string, tenantId: string): Promise<ConfidentialClientApplication> {
    const [msal, authorityMetadata] = await Promise.all([(this.msal ??= import('@azure/msal-node')), this.tenantMetadata(tenantId)]);
    const { redis, log } = this.opts;
    const config: Configuration = {
      auth: {
        clientId: this.opts.clientId,
        clientSecret: this.opts.clientSecret,
        authority: this.authority(tenantId),
        knownAuthorities: this.opts.knownAuthorities,
        ...(authorityMetadata ? { authorityMetadata } : {}),
      },
      ...(redis ? { cache: { cachePlugin: new msal.DistributedCachePlugin(redis, redis.partitionManager(partition)) } } : {}),
      system: {
        networkClient: this.network,
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: 1, // Warning
          loggerCallback: (_level, message) => log.debug('msal', { message }),
        },
      },
    };
    return new msal.ConfidentialClientApplication(config);
  }

  /**
   * The tenant's OpenID metadata as MSAL's `authorityMetadata`, read once per tenant. When it cannot
   * be read, MSAL discovers it itself (and reports the failure with its own, mapped, error).
   */
  private tenantMetadata(tenantId: string): Promise<string | undefined> {
    let pending = this.metadata.get(tenantId);
    if (!pending) {
      const url = `${this.authority(tenantId)}/v2.0/.well-known/openid-configuration`;
      pending = this.network.sendGetRequestAsync<{ token_endpoint?: unknown }>(url).then(
        (res) => {
          if (res.status === 200 && typeof res.body?.token_endpoint === 'string') return JSON.stringify(res.body);
          this.metadata.delete(tenantId);
          return undefined;
        },
        () => {
          this.metadata.delete(tenantId);
          return undefined;
        },
      );
      this.metadata.set(tenantId, pending);
    }
    return pending;
  }
}
