import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import {
  applyManifest,
  clusterWithCrds,
  condition,
  getJson,
  orgWhenReadyReason,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";

let cluster: DevCluster;
let operator: RunningOperator;

beforeAll(async () => {
  cluster = await clusterWithCrds("runtime-class");
  operator = await startTestOperator(cluster);
}, 300_000);

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

describe("an Org whose agents run with a RuntimeClass", { timeout: 120_000 }, () => {
  it("is Stalled while its cluster lacks the RuntimeClass, its tasks wait with nothing applied, and it runs them once it exists", async () => {
    await applyManifest(cluster, orgManifest("isolated", { agent: { runtimeClassName: "gvisor" } }));
    const org = await orgWhenReadyReason(cluster, "isolated", "RuntimeClassNotFound");
    expect(condition(org, "Stalled")).toMatchObject({ status: "True", reason: "RuntimeClassNotFound" });
    expect(condition(org, "Stalled")?.message).toBe(
      "spec.agent.runtimeClassName: cluster local has no RuntimeClass gvisor: install the runtime and its RuntimeClass (e.g. gVisor's runsc), or remove the field",
    );

    await applyManifest(
      cluster,
      taskManifest("sandboxed", "org-isolated", { org: "isolated", prompt: "hi" }),
    );
    const waiting = await waitForTask(
      cluster,
      "org-isolated",
      "sandboxed",
      "the task to wait for its Org",
      (t) => condition(t, "Ready")?.reason === "WaitingForRuntimeClass",
    );
    expect(condition(waiting, "Ready")?.message).toContain("has no RuntimeClass gvisor");
    expect(await getJson(cluster, ["deployment", "sandboxed", "-n", "org-isolated"])).toBeUndefined();

    await applyManifest(cluster, {
      apiVersion: "node.k8s.io/v1",
      kind: "RuntimeClass",
      metadata: { name: "gvisor" },
      handler: "runsc",
    });
    // The Org looks again within a minute by itself; a change wakes it at once.
    const touched = await cluster.kubectl(["annotate", "org", "isolated", "example.com/touched=1"]);
    expect(touched.code, touched.stderr).toBe(0);
    await orgWhenReadyReason(cluster, "isolated", "Ready", 60_000);
    await waitForTask(
      cluster,
      "org-isolated",
      "sandboxed",
      "the task's agent to be applied",
      (t) => t.status?.deployment !== undefined,
      60_000,
    );
    const deployment = await getJson<{ spec: { template: { spec: { runtimeClassName?: string } } } }>(
      cluster,
      ["deployment", "sandboxed", "-n", "org-isolated"],
    );
    expect(deployment?.spec.template.spec.runtimeClassName).toBe("gvisor");
  });
});
