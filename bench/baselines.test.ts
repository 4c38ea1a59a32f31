import { describe, expect, it } from "vitest";
import { operatorObjectSet, podAndService, podReady, podTask } from "./baselines.ts";

describe("the baselines' objects", () => {
  it("are the operator's own object set, in its namespace, owned by no one", () => {
    const objects = operatorObjectSet("t-1", "direct");
    expect(objects.map((o) => o.kind)).toEqual([
      "ConfigMap",
      "ServiceAccount",
      "Role",
      "RoleBinding",
      "Secret",
      "Deployment",
      "Service",
    ]);
    for (const o of objects) {
      expect(o.metadata.namespace).toBe("org-direct");
      expect(o.metadata.ownerReferences).toBeUndefined();
    }
  });

  it("take the Deployment's pod as it is, with the default ServiceAccount, and the Service", () => {
    const [pod, service] = podAndService("t-1", "pods");
    expect(pod?.kind).toBe("Pod");
    expect(pod?.metadata.name).toBe("t-1");
    expect(podTask(pod as never)).toBe("t-1");
    expect((pod as unknown as { spec: Record<string, unknown> }).spec.serviceAccountName).toBeUndefined();
    expect(service?.kind).toBe("Service");
  });

  it("count a pod as ready by its Ready condition", () => {
    expect(podReady({ status: { conditions: [{ type: "Ready", status: "True" }] } })).toBe(true);
    expect(podReady({ status: { conditions: [{ type: "Ready", status: "False" }] } })).toBe(false);
    expect(podReady({})).toBe(false);
  });
});
