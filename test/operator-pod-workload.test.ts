import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import type { AgentTask } from "../schema/index.ts";
import {
  applyManifest,
  clusterWithCrds,
  condition,
  getJson,
  orgWhenReadyReason,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";

let cluster: DevCluster;
let operator: RunningOperator;
const NS = "org-bare";

interface Pod {
  metadata: {
    name: string;
    uid: string;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  spec: { restartPolicy: string; serviceAccountName: string };
  status?: { phase?: string };
}

async function taskPods(task: string): Promise<Pod[]> {
  const list = await getJson<{ items: Pod[] }>(cluster, [
    "pods",
    "-n",
    NS,
    "-l",
    `agentyard.dev/task=${task}`,
  ]);
  return list?.items ?? [];
}

/** The task's one pod, once it is the only one and not on its way out. */
async function onlyPod(task: string, what: string, check: (p: Pod) => boolean = () => true): Promise<Pod> {
  return waitFor(
    `task ${task}'s pod ${what}`,
    async () => {
      const pods = await taskPods(task);
      const [pod] = pods;
      return pods.length === 1 && pod && !pod.metadata.deletionTimestamp && check(pod) ? pod : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

const kubectlOk = async (args: string[], input?: string) => {
  const r = await cluster.kubectl(args, input === undefined ? {} : { input });
  expect(r.code, r.stderr).toBe(0);
  return r;
};

beforeAll(async () => {
  cluster = await clusterWithCrds("pod-workload");
  operator = await startTestOperator(cluster);
  await applyManifest(cluster, orgManifest("bare", { agent: { image: "agents/test:1", workload: "Pod" } }));
  await orgWhenReadyReason(cluster, "bare", "Ready", 60_000);
}, 300_000);

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

describe("an Org whose agents run as bare Pods (spec.agent.workload Pod)", { timeout: 180_000 }, () => {
  it("runs a task in a Pod of its attempt, owned by the task, with no Deployment", async () => {
    await applyManifest(cluster, taskManifest("solo", NS, { org: "bare", prompt: "hi" }));
    const running = await waitForTask(cluster, NS, "solo", "to be Running", phaseIs("Running"), 60_000);
    expect(running.status).toMatchObject({ pod: "solo-1", attempts: 1 });
    expect(running.status?.deployment).toBeUndefined();
    const pod = await onlyPod("solo", "to run");
    expect(pod.metadata.name).toBe("solo-1");
    expect(pod.spec).toMatchObject({ restartPolicy: "Always", serviceAccountName: "solo-agent" });
    expect(pod.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "AgentTask", name: "solo", controller: true }),
    ]);
    expect(await getJson(cluster, ["deployment", "solo", "-n", NS])).toBeUndefined();
  });

  it("makes a lost or evicted pod again for the same attempt, without spending a retry", async () => {
    const first = await onlyPod("solo", "to run");
    // Evicted through the API, as a drain does.
    await kubectlOk(
      ["create", "--raw", `/api/v1/namespaces/${NS}/pods/solo-1/eviction`, "-f", "-"],
      JSON.stringify({
        apiVersion: "policy/v1",
        kind: "Eviction",
        metadata: { name: "solo-1", namespace: NS },
      }),
    );
    const second = await onlyPod("solo", "to be made again", (p) => p.metadata.uid !== first.metadata.uid);
    expect(second.metadata.name).toBe("solo-1");
    expect(second.metadata.annotations?.["agentyard.dev/attempt"]).toBe("1");

    // Ended by its node, as a kubelet's eviction does: the pod stays, Failed.
    await kubectlOk([
      "patch",
      "pod",
      "solo-1",
      "-n",
      NS,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({
        status: { phase: "Failed", reason: "Evicted", message: "The node was low on memory." },
      }),
    ]);
    await onlyPod("solo", "to be replaced after it Failed", (p) => p.metadata.uid !== second.metadata.uid);
    const task = await waitForTask(cluster, NS, "solo", "to be Running", phaseIs("Running"), 60_000);
    expect(task.status).toMatchObject({ attempts: 1, pod: "solo-1" });
  });

  it("deletes the pod when the task is cancelled", async () => {
    await kubectlOk([
      "patch",
      "agenttask",
      "solo",
      "-n",
      NS,
      "--type=merge",
      "-p",
      '{"spec":{"cancel":true}}',
    ]);
    const cancelled = await waitForTask(cluster, NS, "solo", "to be Cancelled", phaseIs("Cancelled"));
    expect(cancelled.status?.pod).toBeUndefined();
    await waitFor("the cancelled task's pod to go", async () => (await taskPods("solo")).length === 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  });

  it("moves a running task between a Deployment and a bare Pod when the Org changes its workload", async () => {
    await applyManifest(cluster, orgManifest("movable", { agent: { image: "agents/test:1" } }));
    await orgWhenReadyReason(cluster, "movable", "Ready", 60_000);
    const ns = "org-movable";
    await applyManifest(cluster, taskManifest("mover", ns, { org: "movable", prompt: "hi" }));
    await waitForTask(
      cluster,
      ns,
      "mover",
      "to run in a Deployment",
      (t) => phaseIs("Running")(t) && t.status?.deployment === "mover",
      60_000,
    );

    await applyManifest(
      cluster,
      orgManifest("movable", { agent: { image: "agents/test:1", workload: "Pod" } }),
    );
    const moved = await waitForTask(
      cluster,
      ns,
      "mover",
      "to run in a bare Pod",
      (t: AgentTask) =>
        phaseIs("Running")(t) && t.status?.pod === "mover-1" && t.status.deployment === undefined,
      90_000,
    );
    expect(condition(moved, "Ready")?.status).toBe("True");
    await waitFor(
      "the Deployment to go",
      async () => (await getJson(cluster, ["deployment", "mover", "-n", ns])) === undefined,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    const pods = await getJson<{ items: Pod[] }>(cluster, [
      "pods",
      "-n",
      ns,
      "-l",
      "agentyard.dev/task=mover",
    ]);
    expect(pods?.items.map((p) => p.metadata.name)).toEqual(["mover-1"]);
  });

  it("neither takes over nor deletes a pod of the attempt's name that is not the task's, and says so", async () => {
    // Someone with rights in the Org's namespace made a pod of the name the task's first attempt gets,
    // with the task's labels and attempt, and a uid label that is not the task's.
    const squatter = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "squat-1",
        namespace: NS,
        labels: {
          "app.kubernetes.io/managed-by": "agentyard",
          "agentyard.dev/org": "bare",
          "agentyard.dev/task": "squat",
          "agentyard.dev/task-uid": "3d8b0c1e-0000-4000-8000-000000000000",
          "agentyard.dev/component": "agent",
        },
        annotations: { "agentyard.dev/attempt": "1" },
      },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "c",
            image: "someone/else:1",
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          },
        ],
      },
    };
    // The API server admits a pod only with its ServiceAccount, which the controller-manager makes.
    await waitFor(
      "the namespace's default ServiceAccount",
      () => getJson(cluster, ["serviceaccount", "default", "-n", NS]),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    await applyManifest(cluster, squatter);
    const before = await getJson<Pod>(cluster, ["pod", "squat-1", "-n", NS]);
    await applyManifest(cluster, taskManifest("squat", NS, { org: "bare", prompt: "hi" }));
    const warning = await waitFor(
      "an ApplyFailed Event on the task",
      async () => {
        const list = await getJson<{
          items: { reason?: string; note?: string; regarding?: { name?: string } }[];
        }>(cluster, ["events.events.k8s.io", "-n", NS]);
        return list?.items.find((e) => e.regarding?.name === "squat" && e.reason === "ApplyFailed");
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(warning.note).toContain(`pod ${NS}/squat-1 exists and is not this task's`);
    const after = await getJson<Pod>(cluster, ["pod", "squat-1", "-n", NS]);
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
    expect(after?.metadata.deletionTimestamp).toBeUndefined();
    expect(after?.metadata.ownerReferences).toBeUndefined();

    await kubectlOk(["delete", "pod", "squat-1", "-n", NS, "--wait=true"]);
    // The operator's part: its own pod of that name, once the name is free.
    const own = await onlyPod("squat", "to be the task's own", (p) =>
      (p.metadata.ownerReferences ?? []).some((r) => r.kind === "AgentTask" && r.name === "squat"),
    );
    expect(own.metadata.uid).not.toBe(before?.metadata.uid);
  });

  it("withdraws the pods of a task whose Org is deleted, the task staying", async () => {
    await applyManifest(cluster, taskManifest("left", NS, { org: "bare", prompt: "hi" }));
    await waitForTask(cluster, NS, "left", "to be Running", phaseIs("Running"), 60_000);
    await kubectlOk(["delete", "org", "bare", "--wait=false"]);
    await waitForTask(
      cluster,
      NS,
      "left",
      "to be Cancelled by its Org's deletion",
      phaseIs("Cancelled"),
      60_000,
    );
    await waitFor("the withdrawn task's pod to go", async () => (await taskPods("left")).length === 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  });
});
