import type { Connection } from '../graph/copilot/connections.js';

/**
 * How long one user's connection listing is reused. Connections are tenant configuration that an
 * admin changes by hand; a minute of reuse is far inside what a delegated token already allows
 * (it is honoured for its whole lifetime, 60–90 minutes, after a permission is withdrawn). What it
 * saves: copilot_status asked Graph twice per call, and over HTTP many agents start every session
 * with it, each one a request against the app's Graph throttling budget for the tenant (issue 17's
 * profile: the second request was about half the server's CPU per status call).
 */
export const LISTING_REUSE_MS = 60_000;
/** Users remembered at most; the oldest listing goes first (a server for a large tenant stays bounded). */
const MAX_LISTINGS = 10_000;

export interface Listing {
  connections: Connection[];
  /** When Graph answered it (ms since the epoch). */
  listedAt: number;
}

/**
 * Successful listings by user (tenant and object id: one user's listing is never another's, since
 * what Graph lists depends on the caller). Failures are not kept: the next call asks Graph again.
 */
export class ConnectionListings {
  private readonly byUser = new Map<string, Listing>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** The user's listing while it is younger than LISTING_REUSE_MS. */
  recent(user: { tenantId: string; userId: string }): Listing | undefined {
    const key = keyOf(user);
    const listing = this.byUser.get(key);
    if (listing && this.clock() - listing.listedAt < LISTING_REUSE_MS) return listing;
    if (listing) this.byUser.delete(key);
    return undefined;
  }

  remember(user: { tenantId: string; userId: string }, connections: Connection[], listedAt = this.clock()): Listing {
    const key = keyOf(user);
    this.byUser.delete(key); // re-inserted last: the Map's order is the eviction order
    if (this.byUser.size >= MAX_LISTINGS) this.byUser.delete(this.byUser.keys().next().value!);
    const listing = { connections, listedAt };
    this.byUser.set(key, listing);
    return listing;
  }

  get size(): number {
    return this.byUser.size;
  }
}

const keyOf = (user: { tenantId: string; userId: string }) => `${user.tenantId.toLowerCase()}/${user.userId.toLowerCase()}`;
