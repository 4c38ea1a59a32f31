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

  describe("with what the server canonicalises", () => {
    const pod = (container: Record<string, unknown>, volume: Record<string, unknown> = {}) => ({
      spec: {
        template: {
          spec: { containers: [{ name: "agent", ...container }], volumes: [{ name: "tmp", ...volume }] },
        },
      },
    });
    const liveResources = {
      requests: { cpu: "500m", memory: "1Gi" },
      limits: { cpu: "1", memory: "1536Mi" },
    };
    const livePod = pod(
      { env: [{ name: "EMPTY" }, { name: "SET", value: "x" }], resources: liveResources },
      { emptyDir: { sizeLimit: "1k" } },
    );

    it("matches any spelling of the same quantity, and an empty env value with none", () => {
      const desired = pod(
        {
          env: [
            { name: "EMPTY", value: "" },
            { name: "SET", value: "x" },
          ],
          resources: {
            requests: { cpu: "0.5", memory: "1073741824" },
            limits: { cpu: "1000m", memory: "1.5Gi" },
          },
        },
        { emptyDir: { sizeLimit: "1e3" } },
      );
      expect(needsApply(desired, livePod)).toBe(false);
      expect(needsApply(pod({ resources: { requests: { memory: 1073741824, cpu: 0.5 } } }), livePod)).toBe(
        false,
      );
    });

    it("still applies a different quantity or env value", () => {
      expect(needsApply(pod({ resources: { requests: { memory: "2Gi" } } }), livePod)).toBe(true);
      expect(needsApply(pod({ resources: { limits: { cpu: "1001m" } } }), livePod)).toBe(true);
      expect(needsApply(pod({}, { emptyDir: { sizeLimit: "1Ki" } }), livePod)).toBe(true);
      expect(
        needsApply(
          pod({
            env: [
              { name: "EMPTY", value: "y" },
              { name: "SET", value: "x" },
            ],
          }),
          livePod,
        ),
      ).toBe(true);
      expect(needsApply(pod({ env: [{ name: "EMPTY" }, { name: "SET", value: "" }] }), livePod)).toBe(true);
    });

    it("compares by value only where a quantity lives", () => {
      const configMap = { data: { cpu: "1" } };
      expect(needsApply({ data: { cpu: "1000m" } }, configMap)).toBe(true);
      expect(
        needsApply(
          { metadata: { labels: { requests: "0.5" } } },
          { metadata: { labels: { requests: "500m" } } },
        ),
      ).toBe(true);
      expect(needsApply({ spec: { value: "" } }, { spec: {} })).toBe(true);
    });
  });
});
