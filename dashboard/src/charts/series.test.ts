import { describe, expect, it } from "vitest";
import type { AgentTask } from "../../../schema/index.ts";
import { aTask } from "../fixtures.test-support.ts";
import { bucketsFor, MAX_SPAN_MS, percentile, taskSeries } from "./series.ts";

const MINUTE = 60_000;
const NOW = Date.parse("2026-11-24T12:00:30Z");
const at = (minutes: number) => new Date(NOW + minutes * MINUTE).toISOString();

/** A task created `created` minutes from NOW (negative: before), with its status times in minutes too. */
function task(
  name: string,
  created: number,
  status: { phase?: string; startedAt?: number; runningAt?: number; finishedAt?: number } = {},
): AgentTask {
  const t = aTask({ name, phase: status.phase ?? "Queued" });
  t.metadata.creationTimestamp = at(created);
  const s = t.status as NonNullable<AgentTask["status"]>;
  if (status.startedAt !== undefined) s.startedAt = at(status.startedAt);
  if (status.runningAt !== undefined) s.runningAt = at(status.runningAt);
  if (status.finishedAt !== undefined) s.finishedAt = at(status.finishedAt);
  return t;
}

describe("bucketsFor", () => {
  it("shows at least a quarter of an hour in minutes, the last interval holding now", () => {
    const b = bucketsFor([task("a", -3)], NOW);
    expect(b.stepMs).toBe(MINUTE);
    expect(b.starts).toHaveLength(16);
    expect(b.starts.at(-1)).toBe(Date.parse("2026-11-24T12:00:00Z"));
    expect(b.starts[0]).toBe(Date.parse("2026-11-24T11:45:00Z"));
  });

  it("widens the intervals to the oldest task, and looks back six hours at most", () => {
    expect(bucketsFor([task("a", -90)], NOW).stepMs).toBe(5 * MINUTE);
    const b = bucketsFor([task("a", -24 * 60)], NOW);
    expect(b.stepMs).toBe(15 * MINUTE);
    expect(b.starts).toHaveLength(24);
    expect(NOW - (b.starts[0] as number)).toBeLessThanOrEqual(MAX_SPAN_MS);
  });

  it("has intervals with no tasks at all", () => {
    expect(bucketsFor([], NOW).starts).toHaveLength(16);
  });
});

describe("percentile", () => {
  it("is the nearest rank, and null without values", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(
      percentile(
        Array.from({ length: 20 }, (_, i) => i + 1),
        95,
      ),
    ).toBe(19);
  });
});

describe("taskSeries", () => {
  const tasks = [
    task("ok", -10, { phase: "Succeeded", startedAt: -10, runningAt: -9, finishedAt: -5 }),
    task("failed", -10, { phase: "Failed", startedAt: -10, runningAt: -8, finishedAt: -5 }),
    task("cancelled-in-queue", -4, { phase: "Cancelled", finishedAt: -2 }),
    task("waiting", -3, { phase: "Queued" }),
    task("running", -9, { phase: "Running", startedAt: -6, runningAt: -5 }),
  ];
  const series = taskSeries(tasks, NOW);
  const index = (minutes: number) =>
    series.buckets.starts.indexOf(Math.floor((NOW + minutes * MINUTE) / MINUTE) * MINUTE);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

  it("counts the tasks started and finished in each interval, by outcome", () => {
    expect(series.started[index(-10)]).toBe(2);
    expect(series.started[index(-6)]).toBe(1);
    expect(sum(series.started)).toBe(3);
    expect(series.finished.Succeeded[index(-5)]).toBe(1);
    expect(series.finished.Failed[index(-5)]).toBe(1);
    expect(series.finished.Cancelled[index(-2)]).toBe(1);
    expect(sum(series.finished.TimedOut)).toBe(0);
  });

  it("takes the wait from creation to running, in seconds, where the task first ran", () => {
    expect(series.waitP50[index(-9)]).toBe(60);
    expect(series.waitP50[index(-8)]).toBe(120);
    expect(series.waitP95[index(-5)]).toBe(240);
    expect(series.waitP50[index(-1)]).toBeNull();
  });

  it("takes the duration from running to the end, where the task ended", () => {
    expect(series.durationP50[index(-5)]).toBe(180);
    expect(series.durationP95[index(-5)]).toBe(240);
    expect(series.durationP50.filter((v) => v !== null)).toHaveLength(1);
  });

  it("counts as queued each task between its creation and its start, or its end if it never started", () => {
    expect(series.queueDepth[index(-11)]).toBe(0);
    // "ok" and "failed" started as they were created: they never waited.
    expect(series.queueDepth[index(-10)]).toBe(0);
    // "running" waited from -9 to -6.
    expect(series.queueDepth[index(-9)]).toBe(1);
    expect(series.queueDepth[index(-6)]).toBe(1);
    expect(series.queueDepth[index(-5)]).toBe(0);
    // "cancelled-in-queue" from -4 to -2, "waiting" from -3 on.
    expect(series.queueDepth[index(-4)]).toBe(1);
    expect(series.queueDepth[index(-3)]).toBe(2);
    expect(series.queueDepth[index(-1)]).toBe(1);
  });

  it("leaves out what happened before the first interval, but not a task still waiting since then", () => {
    const old = taskSeries([task("old", -400, { phase: "Queued" })], NOW);
    expect(old.queueDepth.every((d) => d === 1)).toBe(true);
    expect(sum(old.started)).toBe(0);
  });
});
