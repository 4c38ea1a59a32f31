import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { tailnetCondition } from "./tailnet.ts";

function pod(tailscale: Partial<V1ContainerStatus> | undefined): V1Pod {
  const statuses = tailscale
    ? [{ name: "tailscale", ready: false, restartCount: 0, image: "", imageID: "", ...tailscale }]
    : [];
  return { metadata: { name: "t-1", namespace: "org-acme" }, status: { containerStatuses: statuses } };
}

describe("tailnetCondition", () => {
  const fqdn = "acme-t.tailnet.example.com";

  it("is True once the tailscale container is ready", () => {
    expect(tailnetCondition(pod({ ready: true }), fqdn)).toEqual({
      type: "TailnetReady",
      status: "True",
      reason: "Joined",
      message: "the editor is on the tailnet as acme-t.tailnet.example.com",
    });
  });

  it("names the key, the login server and the log to read when the container keeps exiting", () => {
    const refused = tailnetCondition(
      pod({ restartCount: 3, lastState: { terminated: { exitCode: 1, reason: "Error" } } }),
      fqdn,
    );
    expect(refused).toMatchObject({ status: "False", reason: "JoinFailed" });
    expect(refused.message).toContain("3 restarts, last exit code 1, Error");
    expect(refused.message).toContain("spec.mesh.authKeySecretRef");
    expect(refused.message).toContain("kubectl logs -n org-acme t-1 -c tailscale --previous");
  });

  it("says what the container waits for, and that it joins while it runs", () => {
    expect(
      tailnetCondition(
        pod({ state: { waiting: { reason: "ImagePullBackOff", message: "no such image" } } }),
        fqdn,
      ),
    ).toMatchObject({
      status: "False",
      reason: "Starting",
      message: "the tailscale container waits: ImagePullBackOff: no such image",
    });
    expect(tailnetCondition(pod({ state: { running: {} } }), fqdn)).toMatchObject({ reason: "Joining" });
    expect(tailnetCondition(pod(undefined), fqdn)).toMatchObject({ reason: "Joining" });
    expect(tailnetCondition(undefined, fqdn)).toMatchObject({ status: "False", reason: "NoPod" });
  });
});
