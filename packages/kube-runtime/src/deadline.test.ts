import { describe, expect, it } from "vitest";
import { Deadline, DeadlineExceeded, monotonicNow, throwIfAborted } from "./deadline.ts";

/** Holds the event loop, as a paused process does: no timer can fire meanwhile. */
function blockFor(ms: number): void {
  const until = monotonicNow() + ms;
  while (monotonicNow() < until) {
    // busy: the point is that nothing else runs
  }
}

describe("Deadline", () => {
  it("is seen as passed before its timer had a chance to fire", () => {
    const deadline = new Deadline(monotonicNow() + 20, "the renew deadline passed");
    expect(() => throwIfAborted(deadline.signal)).not.toThrow();
    blockFor(40);
    // Still inside the same turn of the event loop: only the clock can tell.
    expect(() => throwIfAborted(deadline.signal)).toThrow(DeadlineExceeded);
    expect(deadline.signal.reason).toBeInstanceOf(DeadlineExceeded);
    expect((deadline.signal.reason as Error).message).toBe("the renew deadline passed");
  });

  it("aborts by its timer when nothing asks, and moves when extended", async () => {
    const start = monotonicNow();
    const deadline = new Deadline(start + 50, "passed");
    deadline.extend(start + 150);
    const aborted = await new Promise<number>((resolve) =>
      deadline.signal.addEventListener("abort", () => resolve(monotonicNow()), { once: true }),
    );
    expect(aborted - start).toBeGreaterThanOrEqual(150);
    deadline.extend(monotonicNow() + 10_000);
    expect(deadline.check()).toBe(true);
  });

  it("ends at once on end(), with the reason given", () => {
    const deadline = new Deadline(monotonicNow() + 60_000, "passed");
    deadline.end("another replica holds the lease");
    expect(deadline.check()).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe("another replica holds the lease");
  });

  it("leaves signals that are not a Deadline's to their own state", () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    expect(() => throwIfAborted(undefined)).not.toThrow();
    controller.abort(new Error("stop"));
    expect(() => throwIfAborted(controller.signal)).toThrow("stop");
  });
});
