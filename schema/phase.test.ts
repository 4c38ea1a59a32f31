import { describe, expect, it } from "vitest";
import { isTerminal, PHASE_COUNT_KEY, TASK_PHASES, TaskCountsSchema } from "./phase.ts";

describe("task phases", () => {
  it("have one count each in an Org's status", () => {
    expect(TASK_PHASES.map((phase) => PHASE_COUNT_KEY[phase]).sort()).toEqual(
      Object.keys(TaskCountsSchema.shape).sort(),
    );
  });

  it("end in Succeeded, Failed, Cancelled or TimedOut", () => {
    expect(TASK_PHASES.filter(isTerminal)).toEqual(["Succeeded", "Failed", "Cancelled", "TimedOut"]);
  });
});
