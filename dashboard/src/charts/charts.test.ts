import { describe, expect, it } from "vitest";
import { type Chart, chartsOf, describeSpan, formatSeconds, summarize } from "./charts.ts";
import { taskSeries } from "./series.ts";

const series = taskSeries([], Date.parse("2026-11-24T12:00:30Z"));
series.started[3] = 2;
series.finished.Failed[4] = 1;
series.waitP50[5] = 12;
series.waitP95[5] = 75;

describe("chartsOf", () => {
  it("makes the four charts, each outcome its own line, p95 dashed beside p50", () => {
    const charts = chartsOf(series);
    expect(charts.map((c) => c.id)).toEqual(["throughput", "wait", "duration", "queue"]);
    expect(charts[0]?.lines.map((l) => l.label)).toEqual([
      "Started",
      "Succeeded",
      "Failed",
      "Cancelled",
      "TimedOut",
    ]);
    // Failed and TimedOut share a colour; the dash tells them apart.
    expect(charts[0]?.lines.find((l) => l.label === "TimedOut")?.dash).toBeDefined();
    expect(charts[1]?.lines.map((l) => [l.label, l.dash !== undefined])).toEqual([
      ["p50", false],
      ["p95", true],
    ]);
    expect(charts[3]?.lines[0]?.stepped).toBe(true);
  });
});

describe("summarize", () => {
  it("adds up counts and names the worst of the percentiles", () => {
    const chart = (id: string) => chartsOf(series).find((c) => c.id === id) as Chart;
    expect(summarize(chart("throughput"))).toBe("Started 2, Succeeded 0, Failed 1, Cancelled 0, TimedOut 0");
    expect(summarize(chart("wait"))).toBe("p50 at most 12s, p95 at most 1m 15s");
    expect(summarize(chart("duration"))).toBe("p50: no data, p95: no data");
  });
});

describe("formatSeconds and describeSpan", () => {
  it("reads as a person says it", () => {
    expect(formatSeconds(null)).toBe("—");
    expect(formatSeconds(4.5)).toBe("4.5s");
    expect(formatSeconds(120)).toBe("2m");
    expect(formatSeconds(3725)).toBe("1h 2m");
    expect(describeSpan(series)).toBe("last 16 minutes in 1-minute intervals");
    const long = taskSeries([], 0);
    long.buckets = { stepMs: 15 * 60_000, starts: Array.from({ length: 24 }, (_, i) => i) };
    expect(describeSpan(long)).toBe("last 6 hours in 15-minute intervals");
  });
});
