import { describe, expect, it } from "vitest";
import { latencies, percentile } from "./stats.ts";

describe("percentile", () => {
  it("takes the nearest rank of the sorted samples", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
  });

  it("rounds the rank up for small sets, never below the first sample", () => {
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([3, 1, 2], 1)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
  });

  it("refuses an empty set and a percentile out of range", () => {
    expect(() => percentile([], 50)).toThrow("no samples");
    expect(() => percentile([1], 0)).toThrow("outside");
  });

  it("summarizes p50, p95, p99 and the maximum", () => {
    const samples = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(latencies(samples)).toEqual({ p50: 10, p95: 19, p99: 20, max: 20 });
  });
});
