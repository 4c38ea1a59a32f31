import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DevCluster as Cluster, type DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import type { AgentTask, Org } from "../schema/index.ts";
import {
  applyManifest,
  clusterWithCrds,
  condition,
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
    for (const [name, stringData] of [
      ["far-git", { token: "git-token" }],
      ["far-models", { ANTHROPIC_API_KEY: "model-key" }],
    ] as const) {
      await applyManifest(management, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace: "capi" },
        stringData,
      });
    }
    await applyManifest(
      management,
      orgManifest("far", {
        cluster: { kubeconfigSecretRef: { name: "east-kubeconfig", namespace: "capi" } },
        git: { credentialsSecretRef: { name: "far-git", namespace: "capi" } },
        agent: { preset: "claude-code", credentialsSecretRef: { name: "far-models", namespace: "capi" } },
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
    // The agents there mount the Org's Secrets from its namespace there.
    for (const [name, key, value] of [
      ["far-git", "token", "git-token"],
      ["far-models", "ANTHROPIC_API_KEY", "model-key"],
    ] as const) {
      const copy = await getJson<{ data?: Record<string, string> }>(east, ["secret", name, "-n", "org-far"]);
      expect(Buffer.from(copy?.data?.[key] ?? "", "base64").toString(), name).toBe(value);
    }

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

  it("runs a bare Pod there for an Org with workload Pod, and deletes it with the task", async () => {
    await applyManifest(
      management,
      orgManifest("farpod", {
        cluster: { kubeconfigSecretRef: { name: "east-kubeconfig", namespace: "capi" } },
        agent: { image: "agents/test:1", workload: "Pod" },
      }),
    );
    await waitFor(
      "Org farpod to be Ready",
      async () => readyCondition(await getOrg(management, "farpod"))?.status === "True",
    );
    await applyManifest(management, taskManifest("bare-job", "org-farpod", { org: "farpod", prompt: "x" }));
    const running = await waitForTask(
      management,
      "org-farpod",
      "bare-job",
      "to be Running",
      phaseIs("Running"),
    );
    expect(running.status).toMatchObject({ cluster: "capi/east-kubeconfig", pod: "bare-job-1" });
    const pod = await getJson<{ metadata: { ownerReferences?: unknown[] } }>(east, [
      "pod",
      "bare-job-1",
      "-n",
      "org-farpod",
    ]);
    expect(pod?.metadata.ownerReferences).toBeUndefined();

    const deleted = await management.kubectl([
      "delete",
      "agenttask",
      "bare-job",
      "-n",
      "org-farpod",
      "--wait=true",
      "--timeout=30s",
    ]);
    expect(deleted.code, deleted.stderr).toBe(0);
    await waitFor(
      "the deleted task's pod to go from the Org's cluster",
      async () =>
        (
          await east.kubectl([
            "get",
            "pods",
            "-n",
            "org-farpod",
            "-l",
            "agentyard.dev/task=bare-job",
            "-o",
            "name",
          ])
        ).stdout.trim() === "",
      { timeoutMs: 30_000, intervalMs: 200 },
    );
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

/** The agent objects left in a namespace of a cluster, by the labels the operator puts on them. */
async function agentObjects(c: DevCluster, namespace: string, selector: string): Promise<string> {
  const r = await c.kubectl([
    "get",
    "deployment,service,configmap,secret,serviceaccount,role,rolebinding",
    "-n",
    namespace,
    "-l",
    selector,
    "-o",
    "name",
  ]);
  return r.stdout.trim();
}

/** An Org whose agents run in east, with a Running task there. */
async function runningInEast(org: string, task: string): Promise<void> {
  await kubeconfigSecret(`${org}-kubeconfig`, await readFile(east.kubeconfigPath(), "utf8"));
  await applyManifest(
    management,
    orgManifest(org, {
      cluster: { kubeconfigSecretRef: { name: `${org}-kubeconfig`, namespace: "capi" } },
    }),
  );
  await waitFor(`Org ${org} to be Ready`, async () =>
    readyCondition(await getOrg(management, org))?.status === "True" ? true : undefined,
  );
  await applyManifest(management, taskManifest(task, `org-${org}`, { org, prompt: "x" }));
  await waitForTask(management, `org-${org}`, task, "to be Running", phaseIs("Running"));
  expect(await getJson(east, ["deployment", task, "-n", `org-${org}`])).toBeDefined();
}

describe("the lifecycle of an Org with its own cluster", () => {
  it("a deleted Org has its tasks' agents and its objects removed there before it goes", async () => {
    await runningInEast("closing", "closing-job");
    expect(await getJson(east, ["networkpolicy", "agentyard-agents", "-n", "org-closing"])).toBeDefined();
    expect((await management.kubectl(["delete", "org", "closing", "--wait=false"])).code).toBe(0);
    await waitFor(
      "Org closing to go",
      async () => ((await getOrg(management, "closing")) ? undefined : true),
      { timeoutMs: 60_000 },
    );
    expect(await agentObjects(east, "org-closing", "agentyard.dev/org=closing")).toBe("");
    expect(await getJson(east, ["networkpolicy", "agentyard-agents", "-n", "org-closing"])).toBeUndefined();
    const task = await getJson<AgentTask>(management, ["agenttask", "closing-job", "-n", "org-closing"]);
    expect(task?.status?.phase).toBe("Cancelled");
    expect(condition(task, "Ready")?.reason).toBe("OrgDeleted");
    expect(condition(task, "AgentsRemoved")).toMatchObject({ status: "True", reason: "OrgDeleted" });
    // A record whose agents are gone goes without reaching any cluster.
    expect(
      (await management.kubectl(["delete", "agenttask", "closing-job", "-n", "org-closing", "--timeout=30s"]))
        .code,
    ).toBe(0);
  });

  it("a changed spec.cluster removes the agents of running tasks from the old cluster and fails them", async () => {
    await runningInEast("mover", "moving");
    await management.kubectl([
      "patch",
      "org",
      "mover",
      "--type=json",
      "-p",
      '[{"op":"remove","path":"/spec/cluster"}]',
    ]);
    const failed = await waitForTask(management, "org-mover", "moving", "to fail", phaseIs("Failed"));
    expect(condition(failed, "Ready")?.reason).toBe("ClusterChanged");
    expect(failed.status?.message).toContain("moved from cluster capi/mover-kubeconfig to local");
    expect(await agentObjects(east, "org-mover", "agentyard.dev/task=moving")).toBe("");
    expect(await getJson(management, ["deployment", "moving", "-n", "org-mover"])).toBeUndefined();

    await applyManifest(management, taskManifest("moved-in", "org-mover", { org: "mover", prompt: "x" }));
    const placed = await waitForTask(
      management,
      "org-mover",
      "moved-in",
      "to be Running",
      phaseIs("Running"),
    );
    expect(placed.status?.cluster).toBe("local");
  });

  it("a remote task deleted before its cluster is resolved keeps its finalizer until it was cleaned up there", async () => {
    await runningInEast("restarted", "early");
    await operator.stop();
    // The Org now names a Secret that does not exist: the new operator never resolves its cluster.
    await management.kubectl([
      "patch",
      "org",
      "restarted",
      "--type=merge",
      "-p",
      '{"spec":{"cluster":{"kubeconfigSecretRef":{"name":"nowhere","namespace":"capi"}}}}',
    ]);
    expect(
      (await management.kubectl(["delete", "agenttask", "early", "-n", "org-restarted", "--wait=false"]))
        .code,
    ).toBe(0);
    operator = await startTestOperator(management);
    await waitFor(
      "the task to go",
      async () =>
        (await getJson(management, ["agenttask", "early", "-n", "org-restarted"])) ? undefined : true,
      { timeoutMs: 60_000 },
    );
    expect(await agentObjects(east, "org-restarted", "agentyard.dev/task=early")).toBe("");
  });

  it("a cluster gone for good holds a deleted task and Org with a message until a person gives up on it", async () => {
    await runningInEast("stranded", "stuck");
    await operator.stop();
    const dead = (await readFile(east.kubeconfigPath(), "utf8")).replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      "server: https://127.0.0.1:1",
    );
    await kubeconfigSecret("stranded-kubeconfig", dead);
    await management.kubectl(["delete", "agenttask", "stuck", "-n", "org-stranded", "--wait=false"]);
    await management.kubectl(["delete", "org", "stranded", "--wait=false"]);
    operator = await startTestOperator(management);

    const held = await waitForTask(
      management,
      "org-stranded",
      "stuck",
      "to say why it is held",
      (t) => condition(t, "AgentsRemoved")?.status === "False",
    );
    expect(condition(held, "AgentsRemoved")?.message).toContain("capi/stranded-kubeconfig does not answer");
    expect(condition(held, "AgentsRemoved")?.message).toContain("agentyard.dev/abandon-cleanup=true");
    const terminating = await waitFor("Org stranded to say what it waits for", async () => {
      const org = await getOrg(management, "stranded");
      return condition(org, "Terminating")?.message?.includes("does not answer") ? org : undefined;
    });
    expect(condition(terminating, "Terminating")).toMatchObject({
      status: "True",
      reason: "WaitingForTasks",
    });
    expect(condition(terminating, "Terminating")?.message).toContain("1 of 1 tasks");

    await management.kubectl([
      "annotate",
      "agenttask",
      "stuck",
      "-n",
      "org-stranded",
      "agentyard.dev/abandon-cleanup=true",
    ]);
    await waitFor("the task to go", async () =>
      (await getJson(management, ["agenttask", "stuck", "-n", "org-stranded"])) ? undefined : true,
    );
    await waitFor("Org stranded to wait for its cluster", async () =>
      condition(await getOrg(management, "stranded"), "Terminating")?.reason === "ClusterUnreachable"
        ? true
        : undefined,
    );
    await management.kubectl(["annotate", "org", "stranded", "agentyard.dev/abandon-cleanup=true"]);
    await waitFor("Org stranded to go", async () =>
      (await getOrg(management, "stranded")) ? undefined : true,
    );
    // What was given up on is still there: the operator said so instead of pretending.
    expect(await getJson(east, ["deployment", "stuck", "-n", "org-stranded"])).toBeDefined();
  });
});
