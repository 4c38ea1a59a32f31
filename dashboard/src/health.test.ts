import { describe, expect, it } from "vitest";
import type { AgentTask, Org } from "../../schema/index.ts";
import { clusterHealth, operatorHealth } from "./health.ts";

const org = (name: string, generation: number, observed?: number, reachable?: boolean): Org =>
  ({
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "Org",
    metadata: { name, generation },
    spec: {},
    ...(observed === undefined
      ? {}
      : { status: { observedGeneration: observed, clusterReachable: reachable } }),
  }) as Org;

const task = (created: string, phase?: string): AgentTask =>
  ({
    metadata: { name: "t", namespace: "org-a", creationTimestamp: created },
    spec: { org: "a", prompt: "x" },
    ...(phase ? { status: { phase } } : {}),
  }) as AgentTask;

describe("operatorHealth", () => {
  const now = Date.parse("2026-11-24T12:00:00Z");

  it("is healthy when every Org is observed at its generation", () => {
    expect(operatorHealth([org("a", 2, 2)], [], now).tone).toBe("ok");
  });

  it("warns while an Org waits to be reconciled", () => {
    const health = operatorHealth([org("a", 3, 2), org("b", 1)], [], now);
    expect(health).toMatchObject({ tone: "warn", detail: "Not yet reconciled: a, b" });
  });

  it("fails when tasks stay without status for over a minute", () => {
    const old = task("2026-11-24T11:58:00Z");
    const fresh = task("2026-11-24T11:59:50Z");
    expect(operatorHealth([org("a", 1, 1)], [old, fresh], now)).toMatchObject({
      tone: "bad",
      state: "Not reconciling",
    });
    expect(operatorHealth([org("a", 1, 1)], [fresh], now).tone).toBe("ok");
  });

  it("cannot tell without Orgs", () => {
    expect(operatorHealth([], [], now).tone).toBe("neutral");
  });
});

describe("clusterHealth", () => {
  it("follows the operator's clusterReachable", () => {
    expect(clusterHealth(org("a", 1, 1, true)).state).toBe("Reachable");
    expect(clusterHealth(org("a", 1, 1, false)).tone).toBe("bad");
    expect(clusterHealth(org("a", 1)).tone).toBe("neutral");
  });
});
