import { describe, expect, it } from "vitest";
import type { Org } from "../schema/index.ts";
import { orgChangeConcernsTasks } from "./org-change.ts";

const org = (patch: {
  rv: string;
  running?: number;
  generation?: number;
  annotations?: Record<string, string>;
}): Org =>
  ({
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "Org",
    metadata: {
      name: "acme",
      uid: "u",
      resourceVersion: patch.rv,
      generation: patch.generation ?? 1,
      ...(patch.annotations ? { annotations: patch.annotations } : {}),
    },
    spec: { agent: {} },
    status: {
      namespace: "org-acme",
      conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "" }],
      tasks: { running: patch.running ?? 0 },
    },
  }) as unknown as Org;

describe("orgChangeConcernsTasks", () => {
  it("lets a write of the task counts alone wake no task", () => {
    expect(orgChangeConcernsTasks(org({ rv: "2", running: 5 }), org({ rv: "1", running: 4 }))).toBe(false);
  });

  it("wakes the tasks for a new Org, a spec change and an annotation", () => {
    expect(orgChangeConcernsTasks(org({ rv: "1" }), undefined)).toBe(true);
    expect(orgChangeConcernsTasks(org({ rv: "2", generation: 2 }), org({ rv: "1" }))).toBe(true);
    expect(
      orgChangeConcernsTasks(
        org({ rv: "2", annotations: { "agentyard.dev/abandon-cleanup": "true" } }),
        org({ rv: "1" }),
      ),
    ).toBe(true);
  });

  it("wakes the tasks when a condition changes", () => {
    const before = org({ rv: "1" });
    const after = org({ rv: "2" });
    after.status = {
      ...after.status,
      conditions: [{ type: "Ready", status: "False", reason: "X", message: "" }],
    } as never;
    expect(orgChangeConcernsTasks(after, before)).toBe(true);
  });
});
