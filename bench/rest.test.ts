import { describe, expect, it } from "vitest";
import { type CreateRun, type RestResult, restNotes, restTable } from "./rest.ts";

const run = (elapsedMs: number, p50: number): CreateRun => ({
  requests: 100,
  concurrency: 8,
  elapsedMs,
  latency: { p50, p95: p50 * 2, p99: p50 * 3, max: p50 * 4 },
});

const result: RestResult = {
  points: [{ concurrency: 8, raw: run(500, 4), schedule: run(1000, 12.5), kubeRequestsPerCall: 2.02 }],
  api: {
    idle: { rssKiB: 100 * 1024, hwmKiB: 100 * 1024 },
    after: { rssKiB: 120 * 1024, hwmKiB: 130 * 1024 },
  },
};

describe("the REST table", () => {
  it("gives each rate, its latencies and POST /schedule's ratio to raw creates", () => {
    const row = restTable(result).split("\n")[2];
    expect(row).toBe("| 8 | 200.0/s | 4.0 ms | 12 ms | 100.0/s | 13 ms | 38 ms | 0.500 | 2.02 |");
  });

  it("says what the api process used", () => {
    expect(restNotes(result)[1]).toContain("100 MiB RSS idle, 120 MiB after the last request (peak 130 MiB)");
  });
});
