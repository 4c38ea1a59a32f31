import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { LOST_POD_AFTER_MS, planAgentPods } from "./agent-pod-plan.ts";

const NOW = new Date("2026-12-03T12:00:00Z");

function pod(name: string, extra: { phase?: string; deletedAt?: Date; replicaSet?: boolean } = {}): V1Pod {
  return {
    metadata: {
      name,
      ...(extra.deletedAt ? { deletionTimestamp: extra.deletedAt } : {}),
      ...(extra.replicaSet
        ? { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u" }] }
        : {}),
    },
    ...(extra.phase ? { status: { phase: extra.phase } } : {}),
  };
}

const names = (plan: ReturnType<typeof planAgentPods>) =>
  plan.delete.map((d) => `${d.pod.metadata?.name}${d.force ? " (force)" : ""}`);

describe("planAgentPods", () => {
  it("creates the attempt's pod when the task has none, and nothing once it runs", () => {
    expect(planAgentPods("t-1", "Pod", [], NOW)).toEqual({ delete: [], create: true });
    expect(planAgentPods("t-1", "Pod", [pod("t-1", { phase: "Running" })], NOW)).toEqual({
      delete: [],
      create: false,
    });
  });

  it("does not create a pod it created that the cache has not shown yet", () => {
    expect(planAgentPods("t-1", "Pod", [], NOW, true).create).toBe(false);
  });

  it("replaces an evicted pod for the same attempt: deleted now, created once it is gone", () => {
    const plan = planAgentPods("t-1", "Pod", [pod("t-1", { phase: "Failed" })], NOW);
    expect(names(plan)).toEqual(["t-1"]);
    expect(plan.create).toBe(false);
  });

  it("deletes an earlier attempt's pod and waits until it is gone before the next starts", () => {
    const plan = planAgentPods("t-2", "Pod", [pod("t-1", { phase: "Running" })], NOW);
    expect(names(plan)).toEqual(["t-1"]);
    expect(plan.create).toBe(false);
  });

  it("waits for a pod in its grace period, then force-deletes it once its kubelet is taken for lost", () => {
    const ending = new Date(NOW.getTime() - 1_000);
    const waiting = planAgentPods("t-1", "Pod", [pod("t-1", { deletedAt: ending })], NOW);
    expect(waiting.delete).toEqual([]);
    expect(waiting.create).toBe(false);
    expect(waiting.requeueAfterMs).toBe(LOST_POD_AFTER_MS - 1_000);

    const lost = new Date(NOW.getTime() - LOST_POD_AFTER_MS);
    expect(names(planAgentPods("t-1", "Pod", [pod("t-1", { deletedAt: lost })], NOW))).toEqual([
      "t-1 (force)",
    ]);
  });

  it("deletes every pod of a stopped task, and a Deployment's pods when the Org moved to bare Pods", () => {
    expect(
      names(planAgentPods(undefined, "Pod", [pod("t-1"), pod("t-abc", { replicaSet: true })], NOW)),
    ).toEqual(["t-1", "t-abc"]);
    expect(planAgentPods("t-1", "Pod", [pod("t-abc", { replicaSet: true })], NOW).create).toBe(false);
  });

  it("with a Deployment, deletes the bare pods only and creates none", () => {
    const plan = planAgentPods(
      undefined,
      "Deployment",
      [pod("t-1"), pod("t-abc", { replicaSet: true })],
      NOW,
    );
    expect(names(plan)).toEqual(["t-1"]);
    expect(plan.create).toBe(false);
    expect(
      planAgentPods(
        undefined,
        "Deployment",
        [pod("t-abc", { deletedAt: new Date(0), replicaSet: true })],
        NOW,
      ),
    ).toEqual({
      delete: [],
      create: false,
    });
  });
});
