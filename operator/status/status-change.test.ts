import { describe, expect, it } from "vitest";
import type { Condition } from "../../schema/index.ts";
import { kstatus } from "./conditions.ts";
import { type EventRule, type ReportedStatus, statusChange } from "./status-change.ts";

interface Status extends ReportedStatus {
  phase?: string;
}

const NOW = new Date("2026-11-24T12:00:00Z");
const EARLIER = "2026-11-24T11:00:00Z";
const always: EventRule<Status> = (_before, next) => ({
  type: "Normal",
  reason: "Changed",
  note: next.phase ?? "",
});
const never: EventRule<Status> = () => undefined;

function written(conditions: ReturnType<typeof kstatus>, generation: number, at = EARLIER): Condition[] {
  return conditions.map((c) => ({ ...c, observedGeneration: generation, lastTransitionTime: at }));
}

describe("statusChange", () => {
  it("writes nothing when the report says what the status says", () => {
    const conditions = kstatus("Ready", "Running", "running");
    const obj = {
      metadata: { generation: 2 },
      status: { phase: "Running", observedGeneration: 2, conditions: written(conditions, 2) },
    };
    expect(statusChange(obj, { status: { phase: "Running" }, conditions }, always, NOW)).toBeUndefined();
  });

  it("counts an undefined field as absent", () => {
    const conditions = kstatus("Ready", "Running", "running");
    const obj = {
      metadata: { generation: 1 },
      status: { phase: "Running", observedGeneration: 1, conditions: written(conditions, 1) },
    };
    const report = { status: { phase: "Running", message: undefined }, conditions };
    expect(statusChange(obj, report, always, NOW)).toBeUndefined();
  });

  it("stamps the generation it observed on the status and on each condition", () => {
    const change = statusChange(
      { metadata: { generation: 3 } },
      { status: { phase: "Starting" }, conditions: kstatus("Reconciling", "Starting", "starting") },
      never,
      NOW,
    );
    expect(change?.status.observedGeneration).toBe(3);
    expect(change?.status.conditions?.map((c) => c.observedGeneration)).toEqual([3, 3, 3]);
  });

  it("observes generation 0 of an object the API server gave none", () => {
    const change = statusChange({ metadata: {} }, { status: {}, conditions: [] }, never, NOW);
    expect(change?.status).toEqual({ observedGeneration: 0, conditions: [] });
  });

  it("keeps a condition's transition time while its status holds", () => {
    const obj = {
      metadata: { generation: 1 },
      status: {
        phase: "Starting",
        observedGeneration: 1,
        conditions: written(kstatus("Reconciling", "Starting", "a"), 1),
      },
    };
    const change = statusChange(
      obj,
      { status: { phase: "Running" }, conditions: kstatus("Ready", "Running", "b") },
      never,
      NOW,
    );
    const at = Object.fromEntries(
      (change?.status.conditions ?? []).map((c) => [c.type, c.lastTransitionTime]),
    );
    expect(at).toEqual({
      Ready: "2026-11-24T12:00:00Z",
      Reconciling: "2026-11-24T12:00:00Z",
      Stalled: EARLIER,
    });
  });

  it("asks the kind's rule for an Event only when the status changed", () => {
    const seen: unknown[] = [];
    const rule: EventRule<Status> = (before, next, conditions) => {
      seen.push({ before, next: next.phase, ready: conditions[0]?.reason });
      return { type: "Warning", reason: "Moved", note: "moved" };
    };
    const conditions = kstatus("Reconciling", "Starting", "starting");
    const change = statusChange(
      { metadata: { generation: 1 }, status: { phase: "Pending" } },
      { status: { phase: "Starting" }, conditions },
      rule,
      NOW,
    );
    expect(change?.event).toEqual({ type: "Warning", reason: "Moved", note: "moved" });
    expect(seen).toEqual([{ before: { phase: "Pending" }, next: "Starting", ready: "Starting" }]);

    const settled = { metadata: { generation: 1 }, status: change?.status };
    expect(statusChange(settled, { status: { phase: "Starting" }, conditions }, rule, NOW)).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it("writes a changed status without an Event when the rule gives none", () => {
    const change = statusChange(
      { metadata: {} },
      { status: { phase: "Running" }, conditions: [] },
      never,
      NOW,
    );
    expect(change).toEqual({ status: { phase: "Running", observedGeneration: 0, conditions: [] } });
  });
});
