import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ANNOTATION_ATTEMPT } from "../../schema/contract/index.ts";
import { org as makeOrg, task as makeTask } from "../../schema/fixtures.test-support.ts";
import { currentPod, taskWorld } from "./task-observation.ts";

const NOW = new Date("2026-11-24T12:00:00Z");
const admit = () => ({ admitted: true, message: "" });

function pod(name: string, attempt: number, createdAt: string, extra: V1Pod["metadata"] = {}): V1Pod {
  return {
    metadata: {
      name,
      annotations: { [ANNOTATION_ATTEMPT]: String(attempt) },
      creationTimestamp: createdAt as unknown as Date,
      ...extra,
    },
  };
}

describe("currentPod", () => {
  it("picks the newest pod of the current attempt", () => {
    const pods = [
      pod("older", 2, "2026-11-24T11:00:00Z"),
      pod("newest", 2, "2026-11-24T11:30:00Z"),
      pod("middle", 2, "2026-11-24T11:10:00Z"),
    ];
    expect(currentPod(pods, 2)?.metadata?.name).toBe("newest");
  });

  it("leaves out the pods of other attempts, however new", () => {
    const pods = [pod("attempt-1", 1, "2026-11-24T11:59:00Z"), pod("attempt-2", 2, "2026-11-24T11:00:00Z")];
    expect(currentPod(pods, 2)?.metadata?.name).toBe("attempt-2");
    expect(currentPod(pods, 3)).toBeUndefined();
  });

  it("leaves out a pod on its way out", () => {
    const pods = [
      pod("going", 1, "2026-11-24T11:59:00Z", { deletionTimestamp: new Date(NOW) }),
      pod("staying", 1, "2026-11-24T11:00:00Z"),
    ];
    expect(currentPod(pods, 1)?.metadata?.name).toBe("staying");
  });

  it("leaves out a pod the cluster ended (evicted): the attempt goes on in its replacement", () => {
    const evicted = {
      ...pod("evicted", 1, "2026-11-24T11:59:00Z"),
      status: { phase: "Failed", reason: "Evicted" },
    };
    expect(currentPod([evicted], 1)).toBeUndefined();
    expect(currentPod([evicted, pod("replacement", 1, "2026-11-24T11:00:00Z")], 1)?.metadata?.name).toBe(
      "replacement",
    );
  });

  it("finds none among pods without an attempt annotation", () => {
    expect(currentPod([{ metadata: { name: "stray" } }], 0)).toBeUndefined();
    expect(currentPod([], 1)).toBeUndefined();
  });

  it("leaves the cache's list as it was", () => {
    const pods = [pod("a", 1, "2026-11-24T11:00:00Z"), pod("b", 1, "2026-11-24T11:30:00Z")];
    currentPod(pods, 1);
    expect(pods.map((p) => p.metadata?.name)).toEqual(["a", "b"]);
  });
});

describe("taskWorld", () => {
  it("reads the agent's report of the task's current attempt only", () => {
    const task = makeTask();
    task.status = { phase: "Running", attempts: 2 };
    const ofAttempt = (attempt: number) => ({ attempt: String(attempt), startedAt: "2026-11-24T11:00:00Z" });
    expect(taskWorld(task, makeOrg(), { state: ofAttempt(2) }, NOW, admit).state).toEqual({
      attempt: 2,
      startedAt: "2026-11-24T11:00:00Z",
    });
    expect(taskWorld(task, makeOrg(), { state: ofAttempt(1) }, NOW, admit).state).toBeUndefined();
  });

  it("views the observed pod as the decision reads it", () => {
    const observed: V1Pod = {
      metadata: { name: "fix-bug-abc" },
      status: {
        phase: "Running",
        containerStatuses: [{ name: "agent", image: "a", imageID: "", ready: true, restartCount: 1 }],
      },
    };
    const world = taskWorld(makeTask(), makeOrg(), { pod: observed }, NOW, admit);
    expect(world.pod).toEqual({ phase: "Running", ready: true, restarts: 1 });
    expect(taskWorld(makeTask(), makeOrg(), {}, NOW, admit).pod).toBeUndefined();
  });

  it("turns the Org's editor idle timeout into milliseconds, and leaves it out when unset", () => {
    const idle = makeOrg({ editor: { idleTimeout: "30m" } });
    expect(taskWorld(makeTask(), idle, {}, NOW, admit).editorIdleTimeoutMs).toBe(30 * 60_000);
    expect(taskWorld(makeTask(), makeOrg(), {}, NOW, admit)).not.toHaveProperty("editorIdleTimeoutMs");
  });

  it("passes the task, the time and the quota's answer through unasked", () => {
    const task = makeTask();
    let asked = 0;
    const world = taskWorld(task, makeOrg(), {}, NOW, () => {
      asked++;
      return { admitted: false, message: "full" };
    });
    expect(asked).toBe(0);
    expect(world.task).toBe(task);
    expect(world.now).toBe(NOW);
    expect(world.admit()).toEqual({ admitted: false, message: "full" });
  });
});
