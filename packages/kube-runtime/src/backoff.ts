export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Fraction of the delay added at random, so many clients retrying together spread out. */
  jitter?: number;
}

/** The delay before retry number `attempt` (1-based): base doubling each time, capped, with jitter on top. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random) {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  return Math.round(capped * (1 + (options.jitter ?? 0) * random()));
}

/** A retry counter: `next()` gives the next delay, `reset()` after a success. */
export class Backoff {
  private attempts = 0;
  private readonly options: BackoffOptions;
  private readonly random: () => number;

  constructor(options: BackoffOptions, random: () => number = Math.random) {
    this.options = options;
    this.random = random;
  }

  next(): number {
    this.attempts++;
    return backoffDelay(this.attempts, this.options, this.random);
  }

  reset(): void {
    this.attempts = 0;
  }
}
