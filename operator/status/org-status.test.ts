import { describe, expect, it } from "vitest";
import type { OrgStatus } from "../../schema/index.ts";
import { type ConditionInput, kstatus } from "./conditions.ts";
import { orgStatusEvent } from "./org-status.ts";

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
