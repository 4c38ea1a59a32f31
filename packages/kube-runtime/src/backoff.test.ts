import { describe, expect, it } from "vitest";
import { Backoff, backoffDelay } from "./backoff.ts";
import { sleep } from "./sleep.ts";

describe("backoffDelay", () => {
  const options = { baseMs: 1000, maxMs: 8000 };

  it("doubles from the base and stops at the cap", () => {
    expect([1, 2, 3, 4, 5, 40].map((n) => backoffDelay(n, options))).toEqual([
      1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });

  it("adds at most the jitter fraction on top", () => {
    const jittered = { ...options, jitter: 0.5 };
    expect(backoffDelay(2, jittered, () => 0)).toBe(2000);
    expect(backoffDelay(2, jittered, () => 0.999)).toBe(2999);
  });
});

describe("Backoff", () => {
  it("grows with each failure and starts over after reset", () => {
    const b = new Backoff({ baseMs: 100, maxMs: 1000 });
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 400]);
    b.reset();
    expect(b.next()).toBe(100);
  });
});

describe("sleep", () => {
  it("ends early when its signal aborts", async () => {
    const stop = new AbortController();
    const started = Date.now();
    const slept = sleep(60_000, stop.signal);
    stop.abort();
    await slept;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
