import type { Logger } from '../../log.js';
import type { RedisTokenStore } from '../cache/redisTokenStore.js';

/** Who is calling, from the bearer token the HTTP layer has already validated. */
export interface OboCaller {
  /** The raw incoming access token, exchanged as the OBO assertion. Never logged or shown. */
  assertion: string;
  /** Entra object id (`oid`). */
  userId: string;
  /** Tenant id (`tid`): the OBO exchange goes to this tenant, as Entra requires for multi-tenant apps. */
  tenantId: string;
  upn?: string;
  displayName?: string;
}

export interface OboOptions {
  /** https origin of the identity provider, e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /**
   * The server's home tenant. Each exchange goes to the caller's own tenant (`tid`, already checked
   * against the allowed tenants by the HTTP layer), as Entra requires for multi-tenant apps.
   */
  tenantId: string;
  /** The server's confidential app (token audience and OBO client). */
  clientId: string;
  clientSecret: string;
  /** Scope prefix, e.g. https://graph.microsoft.com */
  graphResource: string;
  /** Hosts MSAL may trust without instance discovery. */
  knownAuthorities: string[];
  extraCaPem?: string;
  /** Trust only the extra CA (the emulator), not the system roots. */
  onlyExtraCa?: boolean;
  /** Shared encrypted token cache for several server instances; memory only when absent. */
  redis?: RedisTokenStore;
  log: Logger;
  /** Users whose MSAL app (and memo) stay in memory; the least recently used beyond are dropped (default 1,000). */
  maxUsersInMemory?: number;
  /** Asked for with every exchange besides what the tool needs (default ['User.Read']). */
  baseScopes?: string[];
  /** How long one instance may hold a user's cross-instance lock while it exchanges (default 10,000 ms). */
  lockTtlMs?: number;
}

export interface OboStats {
  usersInMemory: number;
  maxUsersInMemory: number;
  /** Users dropped from memory because the LRU was full. */
  evictions: number;
  /** Calls answered from the memo, without MSAL. */
  memoHits: number;
  /** Calls that joined an acquisition already under way for the same user, token and scopes. */
  joinedInFlight: number;
  /** Acquisitions through MSAL (each is one of the next two, or a failure). */
  acquisitions: number;
  /** Acquisitions MSAL answered from its cache (in memory, or loaded from Redis). */
  msalCacheHits: number;
  /** Acquisitions that went to the identity provider. */
  oboRequests: number;
  failures: number;
  /** Times this instance waited for another instance holding a user's lock. */
  lockWaits: number;
  inFlight: number;
  redis: boolean;
}
