import type { AuthenticationResult, ConfidentialClientApplication } from '@azure/msal-node';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { cancelled } from '../abort.js';
import type { SignedInAccount, TokenGrant, TokenRequest } from '../broker.js';
import { isValidPartition, userPartition } from '../cache/redisTokenStore.js';
import { scopeNames, type ScopeNames } from '../scopeNames.js';
import { TokenMemo } from '../tokenMemo.js';
import { LruMap } from './lru.js';
import { mapOboError } from './oboErrors.js';
import { PartitionGate } from './partitionGate.js';
import type { OboCaller, OboOptions, OboStats } from './types.js';
import { UserAppFactory } from './userApps.js';

/** Tokens memoised per user: one per live (assertion, scope set); more means a client churns tokens. */
const MEMO_PER_USER = 16;

/** One user partition in memory: its MSAL app and the grants it handed out recently. */
interface UserEntry {
  partition: string;
  app?: Promise<ConfidentialClientApplication>;
  /** `${assertion hash} ${sorted scopes}` → grant: the token memo every flow shares, bounded per user. */
  memo: TokenMemo;
}

/**
 * On-behalf-of tokens for the users of an HTTP server. Each request's caller gets a cheap broker
 * (CallerBroker, built by the composition root); the state behind it is shared and partitioned by
 * user (`${oid}.${tid}`):
 *
 * - one MSAL ConfidentialClientApplication per user partition, in an LRU of `maxUsersInMemory`:
 *   MSAL's in-memory cache and its distributed plugin are per application object, so a shared app
 *   would mix users' partitions. Building an app is cheap once MSAL is loaded and the tenant's
 *   metadata is known (UserAppFactory shares both).
 * - a memo per user, keyed by a hash of the incoming assertion and the sorted scopes: a warm call
 *   returns without MSAL's cache lookup while the token has ≥ 5 min left. The assertion is part of
 *   the key, as it is of MSAL's own OBO cache lookup, so a token is only ever handed back to a
 *   request that presents the same incoming token it was exchanged for.
 * - single flight per (user, assertion, scopes): concurrent calls share one acquisition; and one
 *   acquisition at a time per user partition, in this process and across instances (PartitionGate).
 *
 * With Redis, each acquisition first loads the user's partition (another instance may already hold
 * the token: MSAL then answers from it without calling the identity provider), and MSAL writes the
 * partition back after a new exchange. While Redis is down, calls that need an acquisition fail
 * fast with CacheUnavailable (retryable) *before* any exchange: a token that could not be stored
 * would be fetched again by every other instance, and a partition we could not read must never be
 * overwritten with a partial one. Grants already memoised keep being served, since they were stored.
 */
export class OboTokenService {
  private readonly users: LruMap<string, UserEntry>;
  private readonly names: ScopeNames;
  private acquiring = 0;
  private readonly apps: UserAppFactory;
  private readonly gate: PartitionGate;
  private readonly baseScopes: string[];
  private readonly log: Logger;
  private closed = false;
  private readonly counters = { evictions: 0, memoHits: 0, joinedInFlight: 0, acquisitions: 0, msalCacheHits: 0, oboRequests: 0, failures: 0, lockWaits: 0 };

  constructor(private readonly opts: OboOptions) {
    validate(opts);
    this.log = opts.log.child({ component: 'obo' });
    this.users = new LruMap(opts.maxUsersInMemory ?? 1_000, () => this.counters.evictions++);
    this.baseScopes = opts.baseScopes ?? ['User.Read'];
    this.names = scopeNames(opts.graphResource);
    this.apps = new UserAppFactory({
      authorityHost: opts.authorityHost,
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      knownAuthorities: opts.knownAuthorities,
      ...(opts.extraCaPem ? { extraCaPem: opts.extraCaPem } : {}),
      ...(opts.onlyExtraCa ? { onlyExtraCa: true } : {}),
      ...(opts.redis ? { redis: opts.redis } : {}),
      log: this.log,
    });
    this.gate = new PartitionGate({
      ...(opts.redis ? { redis: opts.redis } : {}),
      lockTtlMs: opts.lockTtlMs ?? 10_000,
      log: this.log,
      onLockWait: () => this.counters.lockWaits++,
    });
  }

  stats(): OboStats {
    return {
      ...this.counters,
      usersInMemory: this.users.size,
      maxUsersInMemory: this.users.capacity,
      inFlight: this.acquiring,
      redis: Boolean(this.opts.redis),
    };
  }

  /** Stops answering, waits for acquisitions under way, and forgets every user. Redis is closed by its owner. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.users.values()].map((u) => u.memo.settled()));
    this.users.clear();
  }

  /** @internal The delegated path of CallerBroker. */
  async delegatedToken(caller: OboCaller, assertionHash: string, request: TokenRequest, account: SignedInAccount, signal?: AbortSignal): Promise<TokenGrant> {
    if (signal?.aborted) throw cancelled();
    if (this.closed) throw new AppError('ServiceUnavailable', 'the server is shutting down', { nextStep: 'Retry in a few seconds.' });
    const partition = userPartition(caller.userId, caller.tenantId);
    if (!isValidPartition(partition) || !caller.assertion) {
      throw new AppError('Unauthenticated', "the caller's token has no usable user (oid) and tenant (tid)", {
        nextStep: 'The client must send a delegated user token for this server.',
      });
    }
    const scopes = this.normalize(request.scopes);
    const memoKey = `${assertionHash} ${scopes.join(' ')}`;
    const entry = this.entry(partition);
    const forceRefresh = Boolean(request.forceRefresh);
    if (!forceRefresh && entry.memo.peek(memoKey)) this.counters.memoHits++;
    else if (entry.memo.inFlight(memoKey, forceRefresh)) this.counters.joinedInFlight++;
    return entry.memo.get(
      memoKey,
      async () => {
        this.acquiring++;
        try {
          return await this.gate.run(partition, () => this.acquire(entry, caller, scopes, memoKey, account, forceRefresh));
        } catch (err) {
          throw this.failed(err, caller, scopes);
        } finally {
          this.acquiring--;
        }
      },
      { forceRefresh, signal },
    );
  }

  /** Scopes granted in the memo to this caller's current token (for status). */
  grantedScopes(caller: OboCaller, assertionHash: string): string[] {
    const entry = this.users.peek(userPartition(caller.userId, caller.tenantId));
    const scopes = new Set<string>();
    for (const [key, grant] of entry?.memo.entries() ?? []) if (key.startsWith(`${assertionHash} `)) grant.scopes.forEach((s) => scopes.add(s));
    return [...scopes].sort();
  }

  private async acquire(entry: UserEntry, caller: OboCaller, scopes: string[], memoKey: string, account: SignedInAccount, forceRefresh: boolean): Promise<TokenGrant> {
    // Another flight for this user (e.g. a forced refresh) may have just memoised what we need.
    if (!forceRefresh) {
      const memo = (this.users.peek(entry.partition) ?? entry).memo.peek(memoKey);
      if (memo) return memo;
    }
    this.counters.acquisitions++;
    const app = await this.appOf(entry, caller.tenantId);
    // OBO lookups do not consult the cache plugin by themselves; load what other instances stored.
    if (this.opts.redis) await app.getTokenCache().overwriteCache();
    const result = await app.acquireTokenOnBehalfOf({ oboAssertion: caller.assertion, scopes: this.names.scoped(scopes), skipCache: forceRefresh });
    const grant = this.toGrant(result, entry.partition, account);
    if (result?.fromCache) this.counters.msalCacheHits++;
    else this.counters.oboRequests++;
    return grant;
  }

  /** Any failure of an acquisition (lock, cache, exchange) as an AppError without secrets, counted and logged once. */
  private failed(err: unknown, caller: OboCaller, scopes: string[]): AppError {
    this.counters.failures++;
    const mapped = mapOboError(err, {
      scopes,
      authority: this.apps.authority(caller.tenantId),
      clientId: this.opts.clientId,
      secrets: [caller.assertion, this.opts.clientSecret],
      ...(this.apps.discoveryError ? { discoveryError: this.apps.discoveryError } : {}),
    });
    this.log.info('on-behalf-of token acquisition failed', { errorCode: mapped.code, error: mapped.message, userId: caller.userId, tenantId: caller.tenantId });
    return mapped;
  }

  private entry(partition: string): UserEntry {
    let entry = this.users.get(partition);
    if (!entry) {
      entry = { partition, memo: new TokenMemo({ maxEntries: MEMO_PER_USER }) };
      this.users.set(partition, entry);
    }
    return entry;
  }

  private appOf(entry: UserEntry, tenantId: string): Promise<ConfidentialClientApplication> {
    if (!entry.app) {
      const app = this.apps.create(entry.partition, tenantId);
      entry.app = app;
      // A failed construction is not kept: the next call builds it again.
      app.catch(() => {
        if (entry.app === app) delete entry.app;
      });
    }
    return entry.app;
  }

  private toGrant(result: AuthenticationResult | null, partition: string, account: SignedInAccount): TokenGrant {
    if (!result?.accessToken) {
      throw new AppError('AuthFailed', 'the identity provider returned no token for the on-behalf-of exchange', { nextStep: 'Retry; if it persists, check the server app registration.' });
    }
    // MSAL names the account from the provider's client_info; a token for anyone else is never handed out.
    const owner = result.account?.homeAccountId;
    if (owner && owner !== partition) {
      throw new AppError('AuthFailed', 'the identity provider answered the on-behalf-of exchange for a different user than the caller', {
        nextStep: 'Retry; if it persists, report it: the identity provider or a proxy in between is misbehaving.',
      });
    }
    return { accessToken: result.accessToken, expiresOn: result.expiresOn ?? undefined, scopes: this.names.bare(result.scopes), account };
  }

  /** Bare, sorted, unique: the same set always makes the same key. */
  private normalize(scopes: string[]): string[] {
    return [...new Set([...this.baseScopes, ...this.names.bare(scopes)])].sort();
  }
}

function validate(opts: OboOptions): void {
  const missing = (['clientId', 'clientSecret', 'graphResource', 'authorityHost'] as const).filter((k) => !opts[k]);
  if (missing.length > 0) {
    throw new AppError('ConfigInvalid', `on-behalf-of needs the server app's ${missing.join(', ')}`, {
      nextStep: 'Set M365_COPILOT_MCP_SERVER_CLIENT_ID and M365_COPILOT_MCP_SERVER_CLIENT_SECRET (the confidential app registration of this server).',
    });
  }
  if (!/^https:\/\//i.test(opts.authorityHost)) {
    throw new AppError('ConfigInvalid', `the authority host must be an https URL (got ${opts.authorityHost})`, { nextStep: 'Check --authority-host.' });
  }
  const max = opts.maxUsersInMemory ?? 1_000;
  if (!Number.isInteger(max) || max < 1) throw new AppError('ConfigInvalid', `maxUsersInMemory must be a positive integer (got ${max})`);
}
