import { withAbort } from './abort.js';
import type { TokenGrant } from './broker.js';

/** Tokens are renewed this long before they expire: MSAL's own default (tokenRenewalOffsetSeconds). */
export const RENEWAL_MARGIN_MS = 300_000;

export interface TokenMemoOptions {
  /** Most grants kept; the oldest goes first (OBO: per user, so a client that churns tokens cannot grow it). */
  maxEntries?: number;
  clock?: () => number;
}

/**
 * The one token memo of every flow (delegated, app-only, on-behalf-of): a grant still comfortably
 * valid is answered from memory without MSAL's cache lookup, and concurrent asks for the same key
 * share one acquisition (single flight). A forced refresh skips the memo and has a flight of its own.
 */
export class TokenMemo {
  private readonly grants = new Map<string, TokenGrant>();
  private readonly flights = new Map<string, Promise<TokenGrant>>();

  constructor(private readonly opts: TokenMemoOptions = {}) {}

  /** The grant for `key` while it has more than the renewal margin left. */
  peek(key: string): TokenGrant | undefined {
    const grant = this.grants.get(key);
    if (grant && this.fresh(grant)) return grant;
    if (grant) this.grants.delete(key);
    return undefined;
  }

  get(key: string, acquire: () => Promise<TokenGrant>, opts: { forceRefresh?: boolean | undefined; signal?: AbortSignal | undefined } = {}): Promise<TokenGrant> {
    if (opts.forceRefresh) this.grants.delete(key);
    else {
      const memo = this.peek(key);
      if (memo) return Promise.resolve(memo);
    }
    const flightKey = `${opts.forceRefresh ? 'fresh' : 'any'} ${key}`;
    let flight = this.flights.get(flightKey);
    if (!flight) {
      flight = acquire()
        .then((grant) => {
          this.remember(key, grant);
          return grant;
        })
        .finally(() => this.flights.delete(flightKey));
      this.flights.set(flightKey, flight);
    }
    return withAbort(flight, opts.signal);
  }

  /** Whether an acquisition for `key` is under way (callers count joins). */
  inFlight(key: string, forceRefresh = false): boolean {
    return this.flights.has(`${forceRefresh ? 'fresh' : 'any'} ${key}`);
  }

  /** Grants still valid, oldest first. */
  *entries(): IterableIterator<[string, TokenGrant]> {
    for (const [key, grant] of this.grants) if (this.fresh(grant)) yield [key, grant];
  }

  /** Settles when every acquisition under way has (for a clean shutdown). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.flights.values()]);
  }

  clear(): void {
    this.grants.clear();
  }

  private remember(key: string, grant: TokenGrant): void {
    for (const [k, old] of this.grants) if (!this.fresh(old)) this.grants.delete(k);
    if (!this.fresh(grant)) return;
    this.grants.delete(key);
    this.grants.set(key, grant);
    const max = this.opts.maxEntries ?? Number.POSITIVE_INFINITY;
    while (this.grants.size > max) this.grants.delete(this.grants.keys().next().value as string);
  }

  private fresh(grant: TokenGrant): boolean {
    return !!grant.expiresOn && grant.expiresOn.getTime() - RENEWAL_MARGIN_MS > (this.opts.clock ?? Date.now)();
  }
}
