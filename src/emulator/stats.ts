/**
 * Counters the tests and benchmarks read to check what a client really did (how many token
 * requests, which grants, how many Graph calls per route) without parsing logs.
 * Keys come from closed sets (known grants, known clients and users, router templates) so a
 * misbehaving client cannot grow them without bound.
 */
export interface RouteCounters {
  total: number;
  byStatus: Record<string, number>;
}

export interface StatsSnapshot {
  /** When counting started (emulator start or the last reset). */
  since: string;
  tokens: {
    /** Every call of the token endpoint, including `authorization_pending` polls and failures. */
    requests: number;
    byGrant: Record<string, number>;
    /** Successful token responses per grant. */
    issuedByGrant: Record<string, number>;
    /** Successful delegated token responses per user (UPN). */
    byUser: Record<string, number>;
    /** Token endpoint calls per client id (registered apps only; others count as "unknown"). */
    byClient: Record<string, number>;
    /** Error answers per OAuth error code. */
    errors: Record<string, number>;
  };
  deviceCodes: { issued: number; approved: number; denied: number };
  graph: {
    requests: number;
    /** Per route template ("POST /copilot/retrieval"; "unknown" when no route matched). */
    byRoute: Record<string, RouteCounters>;
    byStatus: Record<string, number>;
  };
}

function bump(counter: Record<string, number>, key: string, by = 1): void {
  counter[key] = (counter[key] ?? 0) + by;
}

function fresh(nowMs: number): StatsSnapshot {
  return {
    since: new Date(nowMs).toISOString(),
    tokens: { requests: 0, byGrant: {}, issuedByGrant: {}, byUser: {}, byClient: {}, errors: {} },
    deviceCodes: { issued: 0, approved: 0, denied: 0 },
    graph: { requests: 0, byRoute: {}, byStatus: {} },
  };
}

export class EmulatorStats {
  private data: StatsSnapshot;

  constructor(private readonly clock: () => number = Date.now) {
    this.data = fresh(clock());
  }

  tokenRequest(grant: string, clientId: string): void {
    this.data.tokens.requests++;
    bump(this.data.tokens.byGrant, grant);
    bump(this.data.tokens.byClient, clientId);
  }

  tokenIssued(grant: string, upn?: string): void {
    bump(this.data.tokens.issuedByGrant, grant);
    if (upn !== undefined) bump(this.data.tokens.byUser, upn);
  }

  tokenError(error: string): void {
    bump(this.data.tokens.errors, error);
  }

  deviceCode(event: 'issued' | 'approved' | 'denied'): void {
    this.data.deviceCodes[event]++;
  }

  graphRequest(route: string, status: number): void {
    const key = route.length > 0 ? route : 'unknown';
    this.data.graph.requests++;
    bump(this.data.graph.byStatus, String(status));
    const counters = (this.data.graph.byRoute[key] ??= { total: 0, byStatus: {} });
    counters.total++;
    bump(counters.byStatus, String(status));
  }

  snapshot(): StatsSnapshot {
    return structuredClone(this.data);
  }

  reset(): void {
    this.data = fresh(this.clock());
  }
}
