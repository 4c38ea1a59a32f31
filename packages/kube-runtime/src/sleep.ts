/**
 * Its own module with no imports, so that code without Node (the dashboard) and the agent's bundle
 * share it: `@agentyard/kube-runtime/sleep`.
 */

/**
 * The longest delay a timer keeps: Node fires a longer one after 1 ms instead (a 30-day TTL would
 * become a hot loop). A caller that needs longer waits this long and looks again.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a timer can take it: at least 0, at most MAX_TIMER_MS. */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}

/** Sleeps `ms` (at most MAX_TIMER_MS), or less when the signal aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, timerDelay(ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}
