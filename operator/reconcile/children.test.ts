import { describe, expect, it } from "vitest";
import { org, task } from "../../schema/fixtures.test-support.ts";
import { boundTo } from "../render/rendered.test-support.ts";
import { renderTask } from "../render/task.ts";
import { isChildOf, stageOf } from "./children.ts";

const labels = {
  "agentyard.dev/org": "acme",
  "agentyard.dev/task": "fix-bug",
  "agentyard.dev/task-uid": "task-uid",
};

describe("isChildOf", () => {
  it("claims an object whose labels and owner name the task", () => {
    expect(isChildOf({ metadata: { labels } }, task())).toBe(true);
    const owned = {
      labels,
      ownerReferences: [{ apiVersion: "v", kind: "AgentTask", name: "fix-bug", uid: "task-uid" }],
    };
    expect(isChildOf({ metadata: owned }, task())).toBe(true);
  });

  it("leaves a same-named object of another task, another Org or a person alone", () => {
    expect(isChildOf({ metadata: {} }, task())).toBe(false);
    expect(
      isChildOf({ metadata: { labels: { ...labels, "agentyard.dev/task-uid": "other" } } }, task()),
    ).toBe(false);
    expect(isChildOf({ metadata: { labels: { ...labels, "agentyard.dev/org": "victim" } } }, task())).toBe(
      false,
    );
    const otherOwner = {
      labels,
      ownerReferences: [{ apiVersion: "v", kind: "AgentTask", name: "fix-bug", uid: "victim-uid" }],
    };
    expect(isChildOf({ metadata: otherOwner }, task())).toBe(false);
  });
});

describe("stageOf", () => {
  it("binds a warm pool member last: its agent writes the task's state once the RoleBinding lets it", () => {
    const objects = renderTask(
      task({ org: "acme" }),
      org({ agent: { workload: "Pod" }, warmPool: { size: 1 } }),
      boundTo("m"),
    );
    const stage = (name: string) =>
      stageOf(objects.find((o) => o.metadata.name === name) as (typeof objects)[0]);
    expect(stage("m-binding")).toBeGreaterThan(stage("fix-bug-state"));
    const binding = objects.find((o) => o.kind === "RoleBinding");
    expect(stage("m-binding")).toBeGreaterThan(stageOf(binding as (typeof objects)[0]));
  });
});
