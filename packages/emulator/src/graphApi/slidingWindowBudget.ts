/**
 * A per-key budget over a sliding window (Retrieval: 200 calls per user per hour). Rejected calls
 * do not use up budget, so Retry-After is the time until the oldest counted call leaves the window.
 */
export class SlidingWindowBudget {
  private readonly calls = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
  ) {}

  /** Counts a call, or says how many seconds to wait. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.clock();
    const since = now - this.windowMs;
    const recent = (this.calls.get(key) ?? []).filter((t) => t > since);
    if (recent.length >= this.limit) {
      this.calls.set(key, recent);
      const oldest = recent[0] ?? now;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)) };
    }
    recent.push(now);
    this.calls.set(key, recent);
    return { ok: true };
  }
}
