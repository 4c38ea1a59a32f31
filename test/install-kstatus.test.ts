import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import { ensureTools, runTool, TOOL_BUILD_TIMEOUT_MS } from "./support/install.ts";
import {
  applyManifest,
  clusterWithCrds,
  getOrg,
  phaseIs,
  startTestOperator,
  waitForTask,
  writeAgentState,
} from "./support/operator.ts";

/**
 * Argo CD and Flux judge health with sigs.k8s.io/cli-utils' kstatus. Computing it with that very
 * library (a tiny Go program, devcluster/go/tools/kstatus) on live objects the operator wrote proves
 * that Orgs and AgentTasks need no custom health checks.
 */

interface Health {
  kind: string;
  namespace?: string;
  name: string;
  status: "Current" | "InProgress" | "Failed" | "Terminating" | "NotFound" | "Unknown";
  message: string;
}

let cluster: DevCluster;
let operator: RunningOperator;

beforeAll(() => ensureTools("kstatus"), TOOL_BUILD_TIMEOUT_MS);

beforeAll(async () => {
  cluster = await clusterWithCrds("kstatus");
  operator = await startTestOperator(cluster);
});

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

async function health(): Promise<Map<string, Health>> {
  const objects = await cluster.kubectl(["get", "orgs,agenttasks", "-A", "-o", "json"]);
  if (objects.code !== 0) throw new Error(objects.stderr);
  const r = await runTool("kstatus", [], objects.stdout);
  if (r.code !== 0) throw new Error(`kstatus failed: ${r.stderr}`);
  const results = JSON.parse(r.stdout) as Health[];
  return new Map(results.map((h) => [`${h.kind}/${h.name}`, h]));
}

describe("kstatus of live Orgs and AgentTasks", () => {
  it("is Current, InProgress or Failed as the operator's conditions say", async () => {
    const ns = "org-shop";
    await applyManifest(cluster, orgManifest("shop", { limits: { maxConcurrentTasks: 1 } }));
    // A kubeconfig Secret that holds no kubeconfig: the Org can never become Ready without a change.
    await applyManifest(cluster, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "broken-kubeconfig", namespace: "default" },
      stringData: { value: "this is not a kubeconfig" },
    });
    await applyManifest(
      cluster,
      orgManifest("broken", {
        cluster: { kubeconfigSecretRef: { name: "broken-kubeconfig", namespace: "default" } },
      }),
    );
    await waitFor("Org shop to be Ready", async () => {
      const o = await getOrg(cluster, "shop");
      return o?.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True");
    });

    await applyManifest(cluster, taskManifest("first", ns, { org: "shop", prompt: "x" }));
    await waitForTask(cluster, ns, "first", "to be Running", phaseIs("Running"));
    await applyManifest(cluster, taskManifest("second", ns, { org: "shop", prompt: "x" }));
    await waitForTask(cluster, ns, "second", "to be Queued", phaseIs("Queued"));
    await waitFor("Org broken to be Stalled", async () => {
      const o = await getOrg(cluster, "broken");
      return o?.status?.conditions?.find((c) => c.type === "Stalled" && c.status === "True");
    });

    const running = await health();
    expect(running.get("Org/shop")?.status).toBe("Current");
    expect(running.get("Org/broken")?.status).toBe("Failed");
    expect(running.get("AgentTask/first")?.status).toBe("Current");
    expect(running.get("AgentTask/second")?.status).toBe("InProgress");

    const written = await writeAgentState(cluster, ns, "first", {
      attempt: "1",
      finishedAt: new Date().toISOString(),
      exitCode: "2",
      message: "tests failed",
    });
    expect(written.code, written.stderr).toBe(0);
    await waitForTask(cluster, ns, "first", "to fail", phaseIs("Failed"));
    // The slot it freed lets the queued task start: InProgress until its agent runs.
    const after = await health();
    expect(after.get("AgentTask/first")).toMatchObject({
      status: "Failed",
      message: expect.stringContaining("tests failed"),
    });
    await waitForTask(cluster, ns, "second", "to be Running", phaseIs("Running"));
    expect((await health()).get("AgentTask/second")?.status).toBe("Current");

    await writeAgentState(cluster, ns, "second", {
      attempt: "1",
      finishedAt: new Date().toISOString(),
      exitCode: "0",
    });
    await waitForTask(cluster, ns, "second", "to succeed", phaseIs("Succeeded"));
    expect((await health()).get("AgentTask/second")?.status).toBe("Current");
  });
});
