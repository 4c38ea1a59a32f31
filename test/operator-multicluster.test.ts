import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DevCluster as Cluster, type DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import type { Org } from "../schema/index.ts";
import {
  applyManifest,
  clusterWithCrds,
  getJson,
  getOrg,
  phaseIs,
  startTestOperator,
  waitForTask,
  writeAgentState,
} from "./support/operator.ts";

let management: DevCluster;
let east: DevCluster;
let west: DevCluster;
let operator: RunningOperator;

async function kubeconfigSecret(name: string, kubeconfig: string): Promise<void> {
  await management.kubectl(["create", "namespace", "capi"]).catch(() => undefined);
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "capi" },
    stringData: { value: kubeconfig },
  };
  await applyManifest(management, secret);
}

const readyCondition = (org: Org | undefined) => org?.status?.conditions?.find((c) => c.type === "Ready");
const stalledCondition = (org: Org | undefined) => org?.status?.conditions?.find((c) => c.type === "Stalled");

beforeAll(async () => {
  [management, east, west] = await Promise.all([
    clusterWithCrds("mgmt"),
    Cluster.start({ name: "east" }),
    Cluster.start({ name: "west" }),
  ]);
  operator = await startTestOperator(management);
});

afterAll(async () => {
  await operator?.stop();
  await Promise.all([management?.stop(), east?.stop(), west?.stop()]);
});

describe("an Org with its own cluster", () => {
  it("gets its namespace there, and its tasks run there", async () => {
    await kubeconfigSecret("east-kubeconfig", await readFile(east.kubeconfigPath(), "utf8"));
    await applyManifest(
      management,
      orgManifest("far", {
        cluster: { kubeconfigSecretRef: { name: "east-kubeconfig", namespace: "capi" } },
      }),
    );
    const org = await waitFor("Org far to be Ready", async () => {
      const o = await getOrg(management, "far");
      return readyCondition(o)?.status === "True" ? o : undefined;
    });
    expect(org.status).toMatchObject({
      cluster: "capi/east-kubeconfig",
      clusterReachable: true,
      namespace: "org-far",
    });
    const ns = await getJson<{ metadata: { labels: Record<string, string> } }>(east, [
      "namespace",
      "org-far",
    ]);
    expect(ns?.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");

    await applyManifest(management, taskManifest("remote-job", "org-far", { org: "far", prompt: "x" }));
    const running = await waitForTask(
      management,
      "org-far",
      "remote-job",
      "to be Running",
      phaseIs("Running"),
    );
    expect(running.status?.cluster).toBe("capi/east-kubeconfig");
    expect(running.metadata.finalizers).toContain("agentyard.dev/remote-cleanup");
    expect(await getJson(east, ["deployment", "remote-job", "-n", "org-far"])).toBeDefined();
    expect(await getJson(management, ["deployment", "remote-job", "-n", "org-far"])).toBeUndefined();

    const written = await writeAgentState(east, "org-far", "remote-job", {
      attempt: "1",
      finishedAt: new Date().toISOString(),
      exitCode: "0",
    });
    expect(written.code, written.stderr).toBe(0);
    await waitForTask(management, "org-far", "remote-job", "to succeed", phaseIs("Succeeded"));
  });

  it("has its remote objects deleted with the task", async () => {
    expect(
      (
        await management.kubectl([
          "delete",
          "agenttask",
          "remote-job",
          "-n",
          "org-far",
          "--wait=true",
          "--timeout=30s",
        ])
      ).code,
    ).toBe(0);
    const left = await east.kubectl([
      "get",
      "deployment,service,configmap,secret,serviceaccount,role,rolebinding",
      "-n",
      "org-far",
      "-l",
      "agentyard.dev/task=remote-job",
      "-o",
      "name",
    ]);
    expect(left.stdout.trim()).toBe("");
  });

  it("follows a rotated kubeconfig Secret to its new cluster", async () => {
    await kubeconfigSecret("east-kubeconfig", await readFile(west.kubeconfigPath(), "utf8"));
    await management.kubectl(["annotate", "org", "far", `rotated=${Date.now()}`, "--overwrite"]);
    await waitFor(
      "the namespace to appear in the new cluster",
      async () => (await getJson(west, ["namespace", "org-far"])) ?? undefined,
    );
    await applyManifest(management, taskManifest("after-rotation", "org-far", { org: "far", prompt: "x" }));
    await waitForTask(management, "org-far", "after-rotation", "to be Running", phaseIs("Running"));
    expect(await getJson(west, ["deployment", "after-rotation", "-n", "org-far"])).toBeDefined();
  });
});

describe("an Org whose cluster cannot be used", () => {
  it("with an exec credential plugin is Stalled and creates nothing, while other Orgs go on", async () => {
    const exec = (await readFile(east.kubeconfigPath(), "utf8")).replace(
      /token: .*/,
      "exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh",
    );
    await kubeconfigSecret("exec-kubeconfig", exec);
    await applyManifest(
      management,
      orgManifest("sneaky", {
        cluster: { kubeconfigSecretRef: { name: "exec-kubeconfig", namespace: "capi" } },
      }),
    );
    const org = await waitFor("Org sneaky to stall", async () => {
      const o = await getOrg(management, "sneaky");
      return stalledCondition(o)?.status === "True" ? o : undefined;
    });
    expect(stalledCondition(org)).toMatchObject({ reason: "InvalidKubeconfig" });
    expect(stalledCondition(org)?.message).toContain("exec credential plugin");
    expect(org.status?.clusterReachable).toBe(false);
    expect(await getJson(east, ["namespace", "org-sneaky"])).toBeUndefined();

    await applyManifest(management, orgManifest("fine"));
    await waitFor("Org fine to be Ready", async () =>
      readyCondition(await getOrg(management, "fine"))?.status === "True" ? true : undefined,
    );
  });

  it("without its kubeconfig Secret is Stalled with the Secret's name", async () => {
    await applyManifest(
      management,
      orgManifest("lost", { cluster: { kubeconfigSecretRef: { name: "nope", namespace: "capi" } } }),
    );
    const org = await waitFor("Org lost to stall", async () => {
      const o = await getOrg(management, "lost");
      return stalledCondition(o)?.status === "True" ? o : undefined;
    });
    expect(stalledCondition(org)?.message).toBe("the kubeconfig Secret capi/nope does not exist");
  });

  it("that does not answer is not Ready and says so", async () => {
    const dead = (await readFile(east.kubeconfigPath(), "utf8")).replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      "server: https://127.0.0.1:1",
    );
    await kubeconfigSecret("dead-kubeconfig", dead);
    await applyManifest(
      management,
      orgManifest("gone", {
        cluster: { kubeconfigSecretRef: { name: "dead-kubeconfig", namespace: "capi" } },
      }),
    );
    const org = await waitFor("Org gone to report its cluster", async () => {
      const o = await getOrg(management, "gone");
      return readyCondition(o)?.reason === "ClusterUnreachable" ? o : undefined;
    });
    expect(readyCondition(org)?.status).toBe("False");
    expect(readyCondition(org)?.message).toContain("capi/dead-kubeconfig does not answer");
    expect(org.status?.clusterReachable).toBe(false);
    expect(org.status?.conditions?.find((c) => c.type === "ClusterReachable")).toMatchObject({
      status: "False",
      reason: "ClusterUnreachable",
    });
  });
});
