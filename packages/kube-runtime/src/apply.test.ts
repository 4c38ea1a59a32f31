import { describe, expect, it } from "vitest";
import { needsApply } from "./apply.ts";

const live = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "a", namespace: "ns", uid: "u", labels: { app: "a", extra: "x" }, resourceVersion: "7" },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          { name: "agent", image: "img:1", ports: [{ containerPort: 8443, protocol: "TCP" }] },
          { name: "editor", image: "ed:1" },
        ],
      },
    },
  },
};

describe("needsApply", () => {
  it("is false when every desired field is live with an equal value, whatever else is live", () => {
    const desired = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "a", namespace: "ns", labels: { app: "a" } },
      spec: {
        replicas: 1,
        template: {
          spec: {
            containers: [
              { name: "agent", image: "img:1", ports: [{ containerPort: 8443 }] },
              { name: "editor", image: "ed:1" },
            ],
          },
        },
      },
    };
    expect(needsApply(desired, live)).toBe(false);
  });

  it("is true when a value differs, a field is missing, or the object is absent", () => {
    expect(needsApply({ spec: { replicas: 2 } }, live)).toBe(true);
    expect(needsApply({ metadata: { annotations: { a: "b" } } }, live)).toBe(true);
    expect(needsApply({ metadata: { name: "a" } }, undefined)).toBe(true);
  });

  it("compares arrays element by element, length included", () => {
    const one = { spec: { template: { spec: { containers: [{ name: "agent" }] } } } };
    expect(needsApply(one, live)).toBe(true);
    const swapped = { spec: { template: { spec: { containers: [{ name: "editor" }, { name: "agent" }] } } } };
    expect(needsApply(swapped, live)).toBe(true);
  });

  it("lets null and empty maps match absent fields, as the server drops them", () => {
    expect(needsApply({ metadata: { annotations: {} } }, live)).toBe(false);
    expect(needsApply({ metadata: { annotations: null } }, live)).toBe(false);
    expect(needsApply({ metadata: { finalizers: [] } }, live)).toBe(false);
    expect(needsApply({ metadata: { labels: null } }, live)).toBe(true);
  });

  it("does not equate a number with its string", () => {
    expect(needsApply({ spec: { replicas: "1" } }, live)).toBe(true);
  });
});
