import { describe, expect, it } from "vitest";
import { cachedChild } from "./cached-form.ts";

const managedFields = [{ manager: "agentyard-operator", operation: "Apply", fieldsV1: { "f:data": {} } }];

describe("cachedChild", () => {
  it("keeps a Pod's metadata and status, without its spec or managedFields", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "ns", labels: { a: "b" }, managedFields },
      spec: { containers: [{ name: "agent", image: "agent:1", env: [{ name: "X", value: "y" }] }] },
      status: { phase: "Running", containerStatuses: [{ name: "agent", ready: true }] },
    };
    expect(cachedChild("Pod")(pod)).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "ns", labels: { a: "b" } },
      status: pod.status,
    });
  });

  it("keeps every field of an applied kind but managedFields: needsApply compares them", () => {
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d", namespace: "ns", managedFields },
      spec: { replicas: 1 },
      status: { readyReplicas: 1 },
    };
    expect(cachedChild("Deployment")(deployment)).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d", namespace: "ns" },
      spec: { replicas: 1 },
      status: { readyReplicas: 1 },
    });
    expect(deployment.metadata.managedFields).toBe(managedFields);
  });
});
