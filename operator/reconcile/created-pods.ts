/**
 * How long a pod this process created may be missing from its cache before the cache is believed:
 * far longer than a watch event takes, short enough that a pod deleted before the cache saw it is
 * made again soon.
 */
const EXPECT_MS = 30_000;

/**
 * The pods this process created that its informer cache has not shown yet (the Job controller's
 * "expectations"): a reconcile that runs between a create and its watch event would otherwise try
 * the create again, and cost the API server a refused write.
 */
export class CreatedPods {
  private readonly at = new Map<string, number>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  created(key: string): void {
    const now = this.now();
    for (const [k, t] of this.at) if (now - t >= EXPECT_MS) this.at.delete(k);
    this.at.set(key, now);
  }

  /** Whether `key` was created and is still to appear; forgets it once the cache holds it. */
  awaited(key: string, cached: boolean): boolean {
    const t = this.at.get(key);
    if (t === undefined) return false;
    if (cached || this.now() - t >= EXPECT_MS) {
      this.at.delete(key);
      return false;
    }
    return true;
  }
}
