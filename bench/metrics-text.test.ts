import { describe, expect, it } from "vitest";
import { sumSamples } from "./metrics-text.ts";

const text = [
  "# HELP agentyard_reconcile_duration_seconds Time spent in one reconcile, by outcome.",
  'agentyard_reconcile_duration_seconds_count{controller="agenttask",result="done"} 18',
  'agentyard_reconcile_duration_seconds_count{controller="agenttask",result="requeue"} 2',
  'agentyard_reconcile_duration_seconds_count{controller="org",result="done"} 3',
  'agentyard_leader{lease="agentyard-operator"} 1',
  "agentyard_reconcile_duration_seconds_count_other 9",
].join("\n");

describe("sumSamples", () => {
  it("sums a metric over the series that carry the labels asked for", () => {
    expect(sumSamples(text, "agentyard_reconcile_duration_seconds_count", { controller: "agenttask" })).toBe(
      20,
    );
    expect(sumSamples(text, "agentyard_reconcile_duration_seconds_count")).toBe(23);
    expect(sumSamples(text, "agentyard_leader", { lease: "agentyard-operator" })).toBe(1);
  });

  it("is 0 for a metric not served", () => {
    expect(sumSamples(text, "agentyard_missing")).toBe(0);
  });
});
