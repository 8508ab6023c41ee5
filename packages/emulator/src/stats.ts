/**
 * Counters the tests and benchmarks read to check what a client really did (how many token
 * requests, which grants, how many Graph calls per route) without parsing logs.
 * Keys come from closed sets (known grants, known clients and users, router templates) so a
 * misbehaving client cannot grow them without bound.
 */
export interface StatsSnapshot {
  /** When counting started (emulator start or the last reset). */
  since: string;
  tokenRequests: {
    /** Every call of the token endpoint, including `authorization_pending` polls and failures. */
    total: number;
    byGrant: Record<string, number>;
    /** Successful delegated token responses per user (UPN). */
    byUser: Record<string, number>;
    /** The same per grant, then per user: `byGrantAndUser.on_behalf_of[upn]` counts a user's OBO exchanges. */
    byGrantAndUser: Record<string, Record<string, number>>;
    /** Token endpoint calls per client id (registered apps only; others count as "unknown"). */
    byClient: Record<string, number>;
    /** Token endpoint calls per client authentication: "secret", "assertion" (certificate) or "none". */
    byClientAuth: Record<string, number>;
    /** Successful token responses per grant. */
    issuedByGrant: Record<string, number>;
    /** Error answers per OAuth error code. */
    errors: Record<string, number>;
  };
  deviceCodes: { issued: number; approved: number; denied: number };
  /** The authorize endpoint: calls (sign-in starts and consent answers alike), codes issued, denials. */
  authorizations: { requests: number; approved: number; denied: number };
  graphRequests: {
    /** Answered (or cut off), counted when the answer goes out. */
    total: number;
    /**
     * Received and not yet answered, now (not reset by a reset). Lets a test wait until a cancelled
     * client's last request is counted, instead of sleeping for a guessed time.
     */
    inFlight: number;
    /** Route template ("POST /copilot/retrieval"; "unknown" when no route matched) → status → count. */
    byRoute: Record<string, Record<string, number>>;
    byStatus: Record<string, number>;
  };
  /** Faults the fault plan injected into Graph requests (a slow one may also carry another kind). */
  faults: {
    total: number;
    /** "throttle", "unavailable", "timeout", "reset", "truncated", "wrongShape", "slow" → count. */
    byKind: Record<string, number>;
    /** Route template (batch items under their own route) → kind → count. */
    byRoute: Record<string, Record<string, number>>;
  };
}

function bump(counter: Record<string, number>, key: string, by = 1): void {
  counter[key] = (counter[key] ?? 0) + by;
}

function fresh(nowMs: number): StatsSnapshot {
  return {
    since: new Date(nowMs).toISOString(),
    tokenRequests: { total: 0, byGrant: {}, byUser: {}, byGrantAndUser: {}, byClient: {}, byClientAuth: {}, issuedByGrant: {}, errors: {} },
    deviceCodes: { issued: 0, approved: 0, denied: 0 },
    authorizations: { requests: 0, approved: 0, denied: 0 },
    graphRequests: { total: 0, inFlight: 0, byRoute: {}, byStatus: {} },
    faults: { total: 0, byKind: {}, byRoute: {} },
  };
}

export class EmulatorStats {
  private data: StatsSnapshot;
  private inFlight = 0;

  constructor(private readonly clock: () => number = Date.now) {
    this.data = fresh(clock());
  }

  tokenRequest(grant: string, clientId: string, clientAuth: 'secret' | 'assertion' | 'none'): void {
    this.data.tokenRequests.total++;
    bump(this.data.tokenRequests.byGrant, grant);
    bump(this.data.tokenRequests.byClient, clientId);
    bump(this.data.tokenRequests.byClientAuth, clientAuth);
  }

  tokenIssued(grant: string, upn?: string): void {
    bump(this.data.tokenRequests.issuedByGrant, grant);
    if (upn === undefined) return;
    bump(this.data.tokenRequests.byUser, upn);
    bump((this.data.tokenRequests.byGrantAndUser[grant] ??= {}), upn);
  }

  tokenError(error: string): void {
    bump(this.data.tokenRequests.errors, error);
  }

  deviceCode(event: 'issued' | 'approved' | 'denied'): void {
    this.data.deviceCodes[event]++;
  }

  authorization(event: 'requests' | 'approved' | 'denied'): void {
    this.data.authorizations[event]++;
  }

  graphRequestReceived(): void {
    this.inFlight++;
  }

  /** One received request is answered (call once per graphRequestReceived). */
  graphRequest(route: string, status: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const key = route.length > 0 ? route : 'unknown';
    this.data.graphRequests.total++;
    bump(this.data.graphRequests.byStatus, String(status));
    bump((this.data.graphRequests.byRoute[key] ??= {}), String(status));
  }

  faultInjected(route: string, kind: string): void {
    this.data.faults.total++;
    bump(this.data.faults.byKind, kind);
    bump((this.data.faults.byRoute[route] ??= {}), kind);
  }

  snapshot(): StatsSnapshot {
    const copy = structuredClone(this.data);
    copy.graphRequests.inFlight = this.inFlight;
    return copy;
  }

  reset(): void {
    this.data = fresh(this.clock());
  }
}
