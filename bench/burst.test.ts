import { describe, expect, it } from "vitest";
import { type BurstResult, burstNotes, burstTable, type PhaseResult } from "./burst.ts";
import { WRITERS } from "./writes.ts";

const phase = (
  label: string,
  elapsedMs: number,
  writes: Partial<PhaseResult["writes"]> = {},
): PhaseResult => ({
  label,
  count: 10,
  elapsedMs,
  samples: Array.from({ length: 10 }, (_, i) => (i + 1) * 100),
  startedAt: new Map(),
  writes: { ...(Object.fromEntries(WRITERS.map((w) => [w, 0])) as PhaseResult["writes"]), ...writes },
  controllers: { "deployment-controller": 60, "replicaset-controller": 40 },
  controllersDuring: { "deployment-controller": 40, "replicaset-controller": 30 },
});

const result: BurstResult = {
  count: 10,
  concurrency: 10,
  raw: phase("(a) raw", 50, { client: 10 }),
  objectSet: phase("(b) set", 2000, { client: 70 }),
  operator: {
    ...phase("operator", 4000, { client: 10, operator: 120 }),
    operatorKinds: { "create events": 20 },
    podReady: [1000, 2000],
    reportLag: [500, 1500],
  },
  memory: { idle: { rssKiB: 204_800, hwmKiB: 204_800 }, after: { rssKiB: 256_000, hwmKiB: 307_200 } },
  operatorRestarts: 0,
};

describe("burstTable", () => {
  const lines = burstTable(result).split("\n");

  it("gives each run its rate, percentiles and ratios to the baselines present", () => {
    expect(lines[2]).toBe(
      "| (a) raw | 200.0/s | 0.50 s | 1.00 s | 1.00 s | 1.000 | 40.000 | – | 1.0 | 0.0 | 0.0 | 0.0 |",
    );
    expect(lines[4]).toBe(
      "| operator | 2.5/s | 0.50 s | 1.00 s | 1.00 s | 0.013 | 0.500 | – | 12.0 | 0.0 | 0.0 | 0.0 |",
    );
  });

  it("ends with the operator's memory", () => {
    expect(lines.at(-1)).toContain("200 MiB → 250 MiB; peak 300 MiB; no restart");
    expect(burstTable({ ...result, operatorRestarts: 1 })).toContain(
      "exited on its own 1× and was started again",
    );
  });
});

describe("burstNotes", () => {
  it("shows how fast the busiest controllers wrote against their 20 requests/s", () => {
    const notes = burstNotes(result).join("\n");
    expect(notes).toContain("writes per task: deployment-controller 6.0, replicaset-controller 4.0");
    expect(notes).toContain(
      "(4.00 s) its busiest controllers wrote deployment-controller 10.0/s, replicaset-controller 7.5/s",
    );
    expect(notes).toContain("operator: the operator's writes per task: create events 2.00.");
    expect(notes).toContain(
      "pods were Ready 1.00 s (p50), 2.00 s (p99) after their task's create; the task reported Running 0.50 s (p50), 1.50 s (p99) after its pod was Ready (2 of 10 pods seen)",
    );
  });
});
