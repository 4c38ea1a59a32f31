import { describe, expect, it } from "vitest";
import { task as makeTask } from "../../schema/fixtures.test-support.ts";
import type { AgentTaskStatus } from "../../schema/index.ts";
import { decideSettled, decideWithdrawn, type Withdrawal } from "./task-decision.ts";
import {
  agentsAt,
  clusterChanged,
  notRemovedCondition,
  REMOVAL_RETRY_MS,
  removedCondition,
  withdrawnReport,
} from "./task-status.ts";

const NOW = new Date("2026-11-24T12:00:00Z");
const at = (offsetS: number) =>
  new Date(NOW.getTime() + offsetS * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

function taskWith(status: AgentTaskStatus | undefined, spec: Record<string, unknown> = {}) {
  const t = makeTask(spec);
  if (status) t.status = status;
  return t;
}

const running: AgentTaskStatus = {
  phase: "Running",
  attempts: 1,
  startedAt: at(-60),
  attemptStartedAt: at(-60),
  cluster: "local",
  namespace: "org-acme",
};
const deleted: Withdrawal = { reason: "OrgDeleted", message: 'cancelled: Org "acme" is being deleted' };
const missing: Withdrawal = { reason: "OrgNotFound", message: 'Org "acme" does not exist' };
const moved: Withdrawal = { reason: "ClusterChanged", message: "moved" };
const readyReason = (d: { conditions: { type: string; reason: string }[] }) =>
  d.conditions.find((c) => c.type === "Ready")?.reason;

describe("decideWithdrawn", () => {
  it("cancels a running task of an Org being deleted, saying why", () => {
    const d = decideWithdrawn(taskWith(running), NOW, deleted);
    expect(d.status).toMatchObject({ phase: "Cancelled", finishedAt: at(0), message: deleted.message });
    expect(readyReason(d)).toBe("OrgDeleted");
    expect(d.children).toBe("none");
  });

  it("cancels a queued task of an Org being deleted", () => {
    const d = decideWithdrawn(taskWith({ phase: "Queued" }), NOW, deleted);
    expect(d.status.phase).toBe("Cancelled");
  });

  it("fails a started task whose Org moved to another cluster", () => {
    const d = decideWithdrawn(taskWith(running), NOW, moved);
    expect(d.status).toMatchObject({ phase: "Failed", message: "moved" });
    expect(readyReason(d)).toBe("ClusterChanged");
    expect(d.conditions.find((c) => c.type === "Stalled")?.status).toBe("True");
  });

  it("keeps a final task as it is, conditions included", () => {
    const done: AgentTaskStatus = { ...running, phase: "Succeeded", finishedAt: at(-5) };
    const d = decideWithdrawn(taskWith(done), NOW, deleted);
    expect(d.status.phase).toBe("Succeeded");
    expect(d.conditions).toEqual([]);
    expect(d.children).toBe("none");
    expect(d.requeueAfterMs).toBeUndefined();
  });

  it("stalls a started task whose Org is missing, until its timeout", () => {
    const d = decideWithdrawn(taskWith(running, { timeout: "2m" }), NOW, missing);
    expect(d.status.phase).toBe("Running");
    expect(d.conditions.find((c) => c.type === "Stalled")).toMatchObject({
      status: "True",
      reason: "OrgNotFound",
    });
    expect(d.requeueAfterMs).toBe(60_000);
    expect(d.children).toBe("none");
  });

  it("times out a task whose Org is missing", () => {
    const d = decideWithdrawn(taskWith(running, { timeout: "1m" }), NOW, missing);
    expect(d.status).toMatchObject({
      phase: "TimedOut",
      message: "attempt 1 ran longer than spec.timeout (1m)",
    });
  });

  it("cancels a task whose Org is missing when spec.cancel is set", () => {
    const d = decideWithdrawn(taskWith(running, { cancel: true }), NOW, missing);
    expect(d.status).toMatchObject({ phase: "Cancelled", message: "cancelled: spec.cancel is true" });
  });

  it("stalls a task that never started and whose Org is missing, without a requeue", () => {
    const d = decideWithdrawn(taskWith(undefined), NOW, missing);
    expect(d.status.phase).toBe("Pending");
    expect(d.requeueAfterMs).toBeUndefined();
  });
});

describe("decideSettled", () => {
  const ended: AgentTaskStatus = { ...running, phase: "Cancelled", finishedAt: at(-10) };

  it("waits for ttlSecondsAfterFinished", () => {
    const d = decideSettled(taskWith(ended, { ttlSecondsAfterFinished: 30 }), NOW);
    expect(d.requeueAfterMs).toBe(20_000);
    expect(d.deleteTask).toBeUndefined();
  });

  it("deletes the task once ttlSecondsAfterFinished passed", () => {
    const d = decideSettled(taskWith(ended, { ttlSecondsAfterFinished: 5 }), NOW);
    expect(d.deleteTask).toBe(true);
  });
});

describe("where a task's agents are", () => {
  const removed = (reason: string) => ({
    ...running,
    conditions: [
      {
        type: "AgentsRemoved",
        status: "True" as const,
        reason,
        message: "",
        observedGeneration: 1,
        lastTransitionTime: at(-1),
      },
    ],
  });

  it("is the cluster the task recorded, until they were removed", () => {
    expect(agentsAt(taskWith(running))).toEqual({ label: "local", namespace: "org-acme" });
    expect(agentsAt(taskWith(removed("OrgDeleted")))).toBeUndefined();
    expect(agentsAt(taskWith(undefined))).toBeUndefined();
  });

  it("moved when the Org names another cluster than a started task recorded", () => {
    const t = taskWith({ ...running, cluster: "capi/east" });
    expect(clusterChanged(t, { label: "capi/east", namespace: "org-acme" })).toBeUndefined();
    expect(clusterChanged(t, { label: "local", namespace: "org-acme" })).toMatchObject({
      reason: "ClusterChanged",
      message: expect.stringContaining("moved from cluster capi/east to local while attempt 1 ran"),
    });
  });

  it("did not move for a task that had not started, or whose agents are gone", () => {
    const now = { label: "local", namespace: "org-acme" };
    expect(clusterChanged(taskWith({ phase: "Queued", cluster: "capi/east" }), now)).toBeUndefined();
    expect(
      clusterChanged(taskWith({ ...removed("OrgNotFound"), cluster: "capi/east" }), now),
    ).toBeUndefined();
  });
});

describe("withdrawnReport", () => {
  const decision = decideWithdrawn(
    taskWith({ ...running, deployment: "fix-bug", service: "fix-bug", editorURL: "http://x/" }),
    NOW,
    deleted,
  );

  it("no longer names the agent's objects once they are gone", () => {
    const r = withdrawnReport(decision, removedCondition("OrgDeleted", "local", "org-acme"));
    expect(r.status).not.toHaveProperty("deployment");
    expect(r.status).not.toHaveProperty("editorURL");
    expect(r.status.cluster).toBe("local");
    expect(r.conditions.at(-1)).toMatchObject({ type: "AgentsRemoved", status: "True" });
  });

  it("keeps naming them, and tries again soon, while removing them fails", () => {
    const r = withdrawnReport(decision, notRemovedCondition("capi/east", "org-acme", "timed out"));
    expect(r.status.deployment).toBe("fix-bug");
    expect(r.requeueAfterMs).toBe(REMOVAL_RETRY_MS);
    expect(r.conditions.at(-1)?.message).toContain("agentyard.dev/abandon-cleanup=true");
  });
});
