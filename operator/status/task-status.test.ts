import { describe, expect, it } from "vitest";
import type { AgentTaskStatus } from "../../schema/index.ts";
import { type ConditionInput, kstatus } from "./conditions.ts";
import { taskStatusEvent } from "./task-status.ts";

function was(phase: AgentTaskStatus["phase"], conditions: ConditionInput[]): AgentTaskStatus {
  return {
    phase,
    conditions: conditions.map((c) => ({
      ...c,
      observedGeneration: 1,
      lastTransitionTime: "2026-11-24T11:00:00Z",
    })),
  };
}

describe("taskStatusEvent", () => {
  it("tells of a phase change, Normal while the task goes well", () => {
    const before = was("Starting", kstatus("Reconciling", "Starting", "starting"));
    const conditions = kstatus("Ready", "Running", "the agent is running attempt 1");
    const next = { phase: "Running" as const, message: "the agent is running attempt 1" };
    expect(taskStatusEvent(before, next, conditions)).toEqual({
      type: "Normal",
      reason: "Running",
      note: "the agent is running attempt 1",
    });
  });

  it("tells of a new reason within a phase", () => {
    const before = was("Starting", kstatus("Reconciling", "Starting", "starting"));
    const conditions = kstatus("Reconciling", "Retrying", "starting attempt 2");
    const next = { phase: "Starting" as const, message: "starting attempt 2" };
    expect(taskStatusEvent(before, next, conditions)).toMatchObject({ type: "Normal", reason: "Retrying" });
  });

  it("stays quiet when only the message or a field changes", () => {
    const before = was("Starting", kstatus("Reconciling", "Starting", "waiting for the agent pod"));
    const conditions = kstatus("Reconciling", "Starting", "ContainerCreating");
    expect(
      taskStatusEvent(before, { phase: "Starting", message: "ContainerCreating" }, conditions),
    ).toBeUndefined();
  });

  it("warns of a stall, a failure, a timeout and a retry backoff", () => {
    const running = was("Running", kstatus("Ready", "Running", "running"));
    const cases: [AgentTaskStatus["phase"], ConditionInput[]][] = [
      ["Pending", kstatus("Stalled", "InvalidSpec", "the task is invalid")],
      ["Failed", kstatus("Stalled", "Failed", "the agent exited with code 1")],
      ["TimedOut", kstatus("Stalled", "TimedOut", "ran longer than spec.timeout")],
      ["Starting", kstatus("Reconciling", "RetryBackoff", "attempt 1 failed")],
    ];
    for (const [phase, conditions] of cases) {
      expect(taskStatusEvent(running, { phase }, conditions)?.type).toBe("Warning");
    }
  });

  it("names the phase when no Ready reason is given, and Pending when there is neither", () => {
    expect(taskStatusEvent(undefined, { phase: "Queued" }, [])).toEqual({
      type: "Normal",
      reason: "Queued",
      note: "",
    });
    expect(taskStatusEvent({ phase: "Running" }, {}, [])?.reason).toBe("Pending");
  });

  it("tells of the first status of a new task", () => {
    const conditions = kstatus("Reconciling", "Starting", "starting attempt 1");
    expect(
      taskStatusEvent(undefined, { phase: "Starting", message: "starting attempt 1" }, conditions),
    ).toEqual({
      type: "Normal",
      reason: "Starting",
      note: "starting attempt 1",
    });
  });
});
