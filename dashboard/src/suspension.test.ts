import { describe, expect, it } from "vitest";
import { aTask } from "./fixtures.test-support.ts";
import { suspensionOf } from "./suspension.ts";

const SUSPENDED_AT = "2026-11-24T13:00:00Z";

const condition = (status: "True" | "False", reason: string, message = "") => ({
  type: "Suspended",
  status,
  reason,
  message,
  lastTransitionTime: SUSPENDED_AT,
});

/** A finished task whose editor the operator stopped for idleness, resumed at `resumedAt` if given. */
function idle(resumedAt?: string) {
  const task = aTask({
    phase: "Succeeded",
    status: {
      suspendedAt: SUSPENDED_AT,
      conditions: [condition("True", "EditorIdle", "the editor was idle for 60s")],
    },
  });
  if (resumedAt) task.metadata.annotations = { "agentyard.dev/resumed-at": resumedAt };
  return task;
}

describe("suspensionOf", () => {
  it("is undefined for a task that runs, or that was suspended and resumed", () => {
    expect(suspensionOf(aTask())).toBeUndefined();
    expect(
      suspensionOf(aTask({ phase: "Running", status: { conditions: [condition("False", "NotSuspended")] } })),
    ).toBeUndefined();
  });

  it("reads a started task held by spec.suspend from its phase", () => {
    const task = aTask({
      phase: "Suspended",
      spec: { suspend: true },
      status: { message: "suspended during attempt 1: spec.suspend is true" },
    });
    expect(suspensionOf(task)).toEqual({
      reason: "Suspended",
      why: "spec.suspend",
      message: "suspended during attempt 1: spec.suspend is true",
      resuming: false,
    });
  });

  it("reads a finished task from its condition, and says an idle editor in words", () => {
    expect(suspensionOf(idle())).toEqual({
      reason: "EditorIdle",
      why: "editor idle",
      message: "the editor was idle for 60s",
      resuming: false,
    });
  });

  it("is resuming once spec.suspend is false again, before the operator has acted", () => {
    const task = aTask({ phase: "Suspended", spec: { suspend: false } });
    expect(suspensionOf(task)?.resuming).toBe(true);
  });

  it("is resuming when the resumed-at annotation is no older than the suspension", () => {
    expect(suspensionOf(idle("2026-11-24T12:59:59Z"))?.resuming).toBe(false);
    expect(suspensionOf(idle(SUSPENDED_AT))?.resuming).toBe(true);
    expect(suspensionOf(idle("2026-11-24T13:05:00Z"))?.resuming).toBe(true);
    expect(suspensionOf(idle("not a time"))?.resuming).toBe(false);
  });
});
