/**
 * How many times each address may do something costly (here: have a token reviewed) per window.
 * Counts live in memory, per replica: a bound on one process's work, not a quota.
 */
export class AddressBudget {
  private readonly max: number;
  private readonly windowMs: number;
  private readonly counts = new Map<string, { used: number; resetAt: number }>();

  constructor(max: number, windowMs: number) {
    this.max = max;
    this.windowMs = windowMs;
  }

  /** Takes one from `address`'s budget: undefined when it had some left, else seconds until it refills. */
  take(address: string, now = Date.now()): number | undefined {
    let entry = this.counts.get(address);
    if (!entry || entry.resetAt <= now) {
      if (this.counts.size >= MAX_ADDRESSES) this.forgetExpired(now);
      entry = { used: 0, resetAt: now + this.windowMs };
      this.counts.set(address, entry);
    }
    if (entry.used >= this.max) return Math.max(1, Math.ceil((entry.resetAt - now) / 1000));
    entry.used += 1;
    return undefined;
  }

  private forgetExpired(now: number): void {
    for (const [address, entry] of this.counts) if (entry.resetAt <= now) this.counts.delete(address);
    // Every address still counting: drop the oldest rather than grow without bound.
    if (this.counts.size >= MAX_ADDRESSES) {
      const oldest = this.counts.keys().next().value;
      if (oldest !== undefined) this.counts.delete(oldest);
    }
  }
}

const MAX_ADDRESSES = 50_000;
