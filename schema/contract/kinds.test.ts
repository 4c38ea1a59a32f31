import { describe, expect, it } from "vitest";
import { CHILD_KINDS, INFORMED_KINDS, TASK_CHILD_KINDS } from "./kinds.ts";
import { taskChildNames } from "./names.ts";

describe("the table of child kinds", () => {
  it("deletes every object a task owns, by name, the Deployment first", () => {
    expect(TASK_CHILD_KINDS.map((k) => k.taskChild).sort()).toEqual(Object.keys(taskChildNames("t")).sort());
    expect(TASK_CHILD_KINDS[0]?.kind).toBe("Deployment");
  });

  it("watches every kind it applies to a task, and the task's pods", () => {
    for (const k of TASK_CHILD_KINDS) expect(k.applied && "informer" in k, k.kind).toBe(true);
    expect(INFORMED_KINDS.map((k) => k.kind)).toContain("Pod");
  });

  it("names each kind and informer once", () => {
    expect(new Set(CHILD_KINDS.map((k) => k.kind)).size).toBe(CHILD_KINDS.length);
    expect(new Set(INFORMED_KINDS.map((k) => k.informer)).size).toBe(INFORMED_KINDS.length);
  });
});
