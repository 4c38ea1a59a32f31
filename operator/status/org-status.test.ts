import { describe, expect, it } from "vitest";
import { org as makeOrg, task as makeTask } from "../../schema/fixtures.test-support.ts";
import type { AgentTaskStatus, OrgStatus } from "../../schema/index.ts";
import { type ConditionInput, kstatus } from "./conditions.ts";
import {
  clusterUnreachable,
  countTasks,
  invalidKubeconfig,
  namespaceApplyFailed,
  namespaceReady,
  ORG_RECHECK_MS,
  orgRefused,
  orgReport,
  orgStatusBase,
  orgStatusEvent,
  reachability,
  TERMINATING_RECHECK_MS,
  terminating,
  waitingForTasks,
} from "./org-status.ts";

function was(conditions: ConditionInput[]): OrgStatus {
  return {
    conditions: conditions.map((c) => ({
      ...c,
      observedGeneration: 1,
      lastTransitionTime: "2026-11-24T11:00:00Z",
    })),
  };
}

describe("orgStatusEvent", () => {
  it("tells of an Org becoming ready, Normal", () => {
    const before = was(kstatus("Reconciling", "ClusterUnreachable", "connection refused"));
    const conditions = kstatus("Ready", "Ready", "namespace org-acme is ready in cluster local");
    expect(orgStatusEvent(before, {}, conditions)).toEqual({
      type: "Normal",
      reason: "Ready",
      note: "namespace org-acme is ready in cluster local",
    });
  });

  it("warns of an Org that stops being ready, or is not ready for a new reason", () => {
    const ready = was(kstatus("Ready", "Ready", "ready"));
    expect(orgStatusEvent(ready, {}, kstatus("Reconciling", "ClusterUnreachable", "timeout"))).toEqual({
      type: "Warning",
      reason: "ClusterUnreachable",
      note: "timeout",
    });
    const unreachable = was(kstatus("Reconciling", "ClusterUnreachable", "timeout"));
    expect(orgStatusEvent(unreachable, {}, kstatus("Stalled", "InvalidKubeconfig", "refused"))?.reason).toBe(
      "InvalidKubeconfig",
    );
  });

  it("stays quiet while readiness and its reason hold, whatever the message", () => {
    const before = was(kstatus("Reconciling", "ClusterUnreachable", "timeout"));
    expect(
      orgStatusEvent(before, {}, kstatus("Reconciling", "ClusterUnreachable", "refused")),
    ).toBeUndefined();
  });

  it("tells of the first status of a new Org", () => {
    expect(orgStatusEvent(undefined, {}, kstatus("Ready", "Ready", "ready"))?.type).toBe("Normal");
  });

  it("stays quiet without a Ready condition", () => {
    const detail: ConditionInput = {
      type: "ClusterReachable",
      status: "True",
      reason: "Reachable",
      message: "",
    };
    expect(orgStatusEvent(undefined, {}, [detail])).toBeUndefined();
  });
});

const inPhase = (phase?: AgentTaskStatus["phase"]) => {
  const task = makeTask();
  if (phase) task.status = { phase };
  return task;
};

describe("countTasks", () => {
  it("counts every phase, zero included, and a task without a phase as pending", () => {
    expect(countTasks([inPhase("Running"), inPhase("Running"), inPhase("Failed"), inPhase()])).toEqual({
      pending: 1,
      queued: 0,
      starting: 0,
      running: 2,
      suspended: 0,
      succeeded: 0,
      failed: 1,
      cancelled: 0,
      timedOut: 0,
    });
  });
});

describe("orgStatusBase", () => {
  it("names the local cluster, the namespace and the task counts", () => {
    expect(orgStatusBase(makeOrg(), [inPhase("Queued")])).toEqual({
      namespace: "org-acme",
      cluster: "local",
      tasks: { ...countTasks([]), queued: 1 },
    });
  });

  it("names an Org's own cluster by its kubeconfig Secret", () => {
    const org = makeOrg({ cluster: { kubeconfigSecretRef: { namespace: "capi", name: "acme-kubeconfig" } } });
    expect(orgStatusBase(org, []).cluster).toBe("capi/acme-kubeconfig");
  });
});

describe("the outcomes of an Org's reconcile", () => {
  it("stalls on a refused kubeconfig, and looks again for a rotated one", () => {
    expect(invalidKubeconfig("exec plugins are not allowed")).toEqual({
      clusterReachable: false,
      conditions: kstatus("Stalled", "InvalidKubeconfig", "exec plugins are not allowed"),
      requeueAfterMs: ORG_RECHECK_MS,
    });
  });

  it("keeps trying an unreachable cluster, sooner than a healthy one", () => {
    const outcome = clusterUnreachable("connection refused");
    expect(outcome.clusterReachable).toBe(false);
    expect(outcome.conditions).toEqual(kstatus("Reconciling", "ClusterUnreachable", "connection refused"));
    expect(outcome.requeueAfterMs).toBeLessThan(ORG_RECHECK_MS);
  });

  it("says which cluster refused the namespace, and that the cluster answered", () => {
    const outcome = namespaceApplyFailed("capi/acme", "forbidden");
    expect(outcome.clusterReachable).toBe(true);
    expect(outcome.conditions[0]).toEqual({
      type: "Ready",
      status: "False",
      reason: "ApplyFailed",
      message: "applying the Org's namespace in cluster capi/acme failed: forbidden",
    });
    expect(outcome.requeueAfterMs).toBeLessThan(ORG_RECHECK_MS);
  });

  it("is Terminating while it is deleted, with what it waits for counted", () => {
    const message = waitingForTasks(2, 3, "deleting the agent's objects failed: timed out");
    expect(message).toBe(
      "deleting: 2 of 3 tasks have not ended or still have agents; deleting the agent's objects failed: timed out",
    );
    const outcome = terminating(true, "WaitingForTasks", message);
    expect(outcome.conditions).toEqual([
      ...kstatus("Reconciling", "Terminating", message),
      { type: "Terminating", status: "True", reason: "WaitingForTasks", message },
    ]);
    expect(outcome.requeueAfterMs).toBe(TERMINATING_RECHECK_MS);
  });

  it("is Ready once the namespace is in place", () => {
    expect(namespaceReady("local", "org-acme")).toEqual({
      clusterReachable: true,
      conditions: kstatus("Ready", "Ready", "namespace org-acme is ready in cluster local"),
      requeueAfterMs: ORG_RECHECK_MS,
      tenancy: { type: "TenancyAdmitted", status: "True", reason: "OwnNamespace", message: "" },
    });
  });

  it("is Stalled, and says the tenancy verdict, when the Org reaches outside its own", () => {
    const report = orgReport(orgStatusBase(makeOrg(), []), orgRefused("namespace payroll already exists"));
    expect(report.conditions).toContainEqual({
      type: "Stalled",
      status: "True",
      reason: "TenancyRefused",
      message: "namespace payroll already exists",
    });
    expect(report.conditions).toContainEqual({
      type: "TenancyAdmitted",
      status: "False",
      reason: "TenancyRefused",
      message: "namespace payroll already exists",
    });
  });
});

describe("reachability", () => {
  it("is True, with no message, for a cluster that answered", () => {
    expect(reachability(true, kstatus("Reconciling", "ApplyFailed", "forbidden"))).toEqual({
      type: "ClusterReachable",
      status: "True",
      reason: "Reachable",
      message: "",
    });
  });

  it("repeats the Ready reason and message of a cluster that did not", () => {
    expect(reachability(false, kstatus("Reconciling", "ClusterUnreachable", "timeout"))).toEqual({
      type: "ClusterReachable",
      status: "False",
      reason: "ClusterUnreachable",
      message: "timeout",
    });
    expect(reachability(false, [])).toEqual({
      type: "ClusterReachable",
      status: "False",
      reason: "Unreachable",
      message: "",
    });
  });
});

describe("orgReport", () => {
  it("adds the outcome's reachability to the status and, as a detail condition, after the kstatus three", () => {
    const base = orgStatusBase(makeOrg(), []);
    const outcome = clusterUnreachable("timeout");
    expect(orgReport(base, outcome)).toEqual({
      status: { ...base, clusterReachable: false },
      conditions: [
        ...kstatus("Reconciling", "ClusterUnreachable", "timeout"),
        { type: "ClusterReachable", status: "False", reason: "ClusterUnreachable", message: "timeout" },
      ],
      requeueAfterMs: outcome.requeueAfterMs,
    });
  });
});
