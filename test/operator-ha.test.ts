import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import {
  applyManifest,
  clusterWithCrds,
  getJson,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";

let cluster: DevCluster;
const children: ChildProcess[] = [];

function operatorProcess(identity: string, extraArgs: string[] = []): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      join(projectRoot, "cli", "agentyard.ts"),
      "operator",
      `--kubeconfig=${cluster.kubeconfigPath()}`,
      `--identity=${identity}`,
      "--lease-namespace=agentyard-system",
      "--lease-duration=4s",
      "--metrics-address=127.0.0.1:0",
      "--log-level=warn",
      ...extraArgs,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  children.push(child);
  return child;
}

async function leaseHolder(name = "agentyard-operator"): Promise<string | undefined> {
  const lease = await getJson<{ spec: { holderIdentity?: string } }>(cluster, [
    "lease",
    name,
    "-n",
    "agentyard-system",
  ]);
  return lease?.spec.holderIdentity || undefined;
}

beforeAll(async () => {
  cluster = await clusterWithCrds("ha");
  await cluster.kubectl(["create", "namespace", "agentyard-system"]);
  await applyManifest(cluster, orgManifest("ha"));
});

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await cluster?.stop();
});

describe("two operator processes", () => {
  it("let one lead; when the leader dies the standby takes over, with no duplicate work", async () => {
    const a = operatorProcess("replica-a");
    const b = operatorProcess("replica-b");
    const first = await waitFor("a leader", leaseHolder, { timeoutMs: 30_000 });
    expect(["replica-a", "replica-b"]).toContain(first);
    await applyManifest(cluster, taskManifest("before-failover", "org-ha", { org: "ha", prompt: "x" }));
    await waitForTask(cluster, "org-ha", "before-failover", "to be Running", phaseIs("Running"));

    (first === "replica-a" ? a : b).kill("SIGKILL");
    const second = await waitFor(
      "the standby to take the lease",
      async () => {
        const holder = await leaseHolder();
        return holder && holder !== first ? holder : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(second).not.toBe(first);
    await applyManifest(cluster, taskManifest("after-failover", "org-ha", { org: "ha", prompt: "x" }));
    await waitForTask(cluster, "org-ha", "after-failover", "to be Running", phaseIs("Running"));

    const rs = await getJson<{ items: unknown[] }>(cluster, [
      "replicasets",
      "-n",
      "org-ha",
      "-l",
      "agentyard.dev/task=before-failover",
    ]);
    expect(rs?.items.length).toBe(1);
    const t = await waitForTask(
      cluster,
      "org-ha",
      "before-failover",
      "to keep attempt 1",
      (x) => x.status?.attempts === 1,
    );
    expect(t.status?.phase).toBe("Running");
  });

  it("releases the lease on SIGTERM so that the standby leads at once", async () => {
    const holder = (await leaseHolder()) as string;
    const leader = children.find(
      (c) => c.exitCode === null && c.signalCode === null && c.spawnargs.includes(`--identity=${holder}`),
    );
    const standby = operatorProcess("replica-c");
    void standby;
    leader?.kill("SIGTERM");
    await waitFor("the leader to exit", async () => (leader?.exitCode !== null ? true : undefined), {
      timeoutMs: 15_000,
    });
    expect(leader?.exitCode).toBe(0);
    await waitFor(
      "replica-c to lead",
      async () => ((await leaseHolder()) === "replica-c" ? true : undefined),
      { timeoutMs: 10_000 },
    );
  });
});

describe("an operator whose API server restarts", () => {
  let operator: RunningOperator;
  afterAll(async () => operator?.stop());

  it("recovers by itself and goes on reconciling", async () => {
    for (const c of children) c.kill("SIGKILL");
    operator = await startTestOperator(cluster);
    await applyManifest(cluster, taskManifest("before-restart", "org-ha", { org: "ha", prompt: "x" }));
    await waitForTask(cluster, "org-ha", "before-restart", "to be Running", phaseIs("Running"));
    await cluster.restart("kube-apiserver");
    await applyManifest(cluster, taskManifest("after-restart", "org-ha", { org: "ha", prompt: "x" }));
    await waitForTask(cluster, "org-ha", "after-restart", "to be Running", phaseIs("Running"), 60_000);
    await cluster.kubectl([
      "patch",
      "agenttask",
      "before-restart",
      "-n",
      "org-ha",
      "--type=merge",
      "-p",
      '{"spec":{"cancel":true}}',
    ]);
    await waitForTask(cluster, "org-ha", "before-restart", "to be Cancelled", phaseIs("Cancelled"), 60_000);
  });
});
