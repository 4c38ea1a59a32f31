import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { demoOrg } from "../devcluster/demo.ts";
import { gitIn } from "../devcluster/git.ts";
import { waitFor } from "../devcluster/http.ts";
import { ANNOTATION_RESUMED_AT } from "../schema/contract/index.ts";
import { taskManifest } from "../schema/fixtures.test-support.ts";
import type { AgentTask } from "../schema/index.ts";
import { type LocalAgents, startLocalAgents } from "./support/local-agents.ts";
import { applyManifest, getJson, orgWhenReadyReason, phaseIs, waitForTask } from "./support/operator.ts";

/**
 * Suspend and resume on the devcluster's node agent, with workspaces on claims the local-path
 * provisioner makes: the agents' /workspace is a real folder that outlives their pods.
 */

let world: LocalAgents;
let cluster: DevCluster;
const NS = "org-keep";

/**
 * The first run writes a file and waits to be stopped; a run that finds the file (the same
 * attempt, resumed in a new pod over the same workspace) records it and ends.
 */
const RESUMABLE = [
  "sh",
  "-c",
  'if [ -f kept.txt ]; then echo "resumed over: $(cat kept.txt)" > seen.txt; exit 0; fi; echo first > kept.txt; exec sleep 600',
];

beforeAll(async () => {
  world = await startLocalAgents("suspend");
  cluster = world.cluster;
  const org = demoOrg(world.origin);
  await applyManifest(cluster, {
    ...org,
    metadata: { name: "keep" },
    spec: {
      ...org.spec,
      workspace: { storage: { size: "1Gi" } },
      editor: { idleTimeout: "1m" },
    },
  });
  await orgWhenReadyReason(cluster, "keep", "Ready");
  await applyManifest(cluster, {
    ...org,
    metadata: { name: "hold" },
    spec: { ...org.spec, workspace: { storage: { size: "1Gi", reclaimPolicy: "Retain" } } },
  });
  await orgWhenReadyReason(cluster, "hold", "Ready");
}, 300_000);

afterAll(async () => {
  await world?.stop();
});

const suspendedIs = (status: string, reason?: string) => (t: AgentTask) =>
  t.status?.conditions?.some(
    (c) => c.type === "Suspended" && c.status === status && (reason === undefined || c.reason === reason),
  ) ?? false;

/** The task's /workspace on this machine, in the folder of its bound PersistentVolume. */
async function workspaceFolder(task: string): Promise<string> {
  const claim = await waitFor("the workspace claim to be bound", async () => {
    const c = await getJson<{ spec: { volumeName?: string }; status?: { phase?: string } }>(cluster, [
      "pvc",
      `${task}-workspace`,
      "-n",
      NS,
    ]);
    return c?.status?.phase === "Bound" ? c : undefined;
  });
  const pv = await getJson<{ spec: { hostPath?: { path: string }; local?: { path: string } } }>(cluster, [
    "pv",
    claim.spec.volumeName as string,
  ]);
  const path = pv?.spec.hostPath?.path ?? pv?.spec.local?.path;
  if (!path) throw new Error(`PersistentVolume ${claim.spec.volumeName} has no host folder`);
  // The pods mount the claim's workspace folder, not its root.
  return join(path, "workspace");
}

const agentPods = async (task: string) =>
  (
    await getJson<{ items: { metadata: { name: string } }[] }>(cluster, [
      "pods",
      "-n",
      NS,
      "-l",
      `agentyard.dev/task=${task}`,
    ])
  )?.items ?? [];

const patchTask = (task: string, patch: unknown) =>
  cluster.kubectl(["patch", "agenttask", task, "-n", NS, "--type=merge", "-p", JSON.stringify(patch)]);

describe("a task with a persistent workspace", () => {
  it("suspended mid-attempt, resumes the same attempt over the workspace it left, with its editor password", async () => {
    await applyManifest(
      cluster,
      taskManifest("pause", NS, { org: "keep", prompt: "Keep a file", command: RESUMABLE }),
    );
    await waitForTask(cluster, NS, "pause", "to run", phaseIs("Running"), 120_000);
    const folder = await workspaceFolder("pause");
    await waitFor("the first run to write its file", async () =>
      (await readFile(join(folder, "kept.txt"), "utf8").catch(() => undefined))?.trim() === "first"
        ? true
        : undefined,
    );
    const password = (
      await getJson<{ data: { password: string } }>(cluster, ["secret", "pause-editor", "-n", NS])
    )?.data.password;
    expect(password).toBeTruthy();

    await patchTask("pause", { spec: { suspend: true } });
    const held = await waitForTask(cluster, NS, "pause", "to be suspended", phaseIs("Suspended"));
    expect(held.status?.suspendedAt).toBeDefined();
    expect(suspendedIs("True", "Suspended")(held)).toBe(true);
    await waitFor(
      "its agent pod to go",
      async () => ((await agentPods("pause")).length === 0 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    const deployment = await getJson<{ spec: { replicas: number } }>(cluster, [
      "deployment",
      "pause",
      "-n",
      NS,
    ]);
    expect(deployment?.spec.replicas).toBe(0);

    await patchTask("pause", { spec: { suspend: false } });
    const done = await waitForTask(
      cluster,
      NS,
      "pause",
      "to finish",
      phaseIs("Succeeded", "Failed"),
      120_000,
    );
    expect(done.status?.phase, done.status?.message).toBe("Succeeded");
    expect(done.status?.attempts).toBe(1);
    expect(suspendedIs("False")(done)).toBe(true);
    expect(done.status?.workspace).toBe("pause-workspace");
    expect(await readFile(join(folder, "seen.txt"), "utf8")).toBe("resumed over: first\n");
    expect(await gitIn(world.origin, ["show", "agentyard/pause:seen.txt"])).toBe("resumed over: first\n");
    const after = await getJson<{ data: { password: string } }>(cluster, [
      "secret",
      "pause-editor",
      "-n",
      NS,
    ]);
    expect(after?.data.password).toBe(password);
  }, 300_000);

  it("is suspended when its editor stays idle after it finished, and comes back when asked to resume", async () => {
    await applyManifest(
      cluster,
      taskManifest("idle", NS, {
        org: "keep",
        prompt: "Leave a note",
        command: ["sh", "-c", "echo note > note.txt"],
      }),
    );
    await waitForTask(cluster, NS, "idle", "to finish", phaseIs("Succeeded", "Failed"), 120_000);
    const folder = await workspaceFolder("idle");
    const idle = await waitForTask(
      cluster,
      NS,
      "idle",
      "to be suspended as idle",
      suspendedIs("True", "EditorIdle"),
      150_000,
    );
    expect(idle.status?.phase).toBe("Succeeded");
    await waitFor(
      "its agent pod to go",
      async () => ((await agentPods("idle")).length === 0 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    expect(await readFile(join(folder, "note.txt"), "utf8")).toBe("note\n");

    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    await cluster.kubectl([
      "annotate",
      "agenttask",
      "idle",
      "-n",
      NS,
      `${ANNOTATION_RESUMED_AT}=${now}`,
      "--overwrite",
    ]);
    const back = await waitForTask(cluster, NS, "idle", "to resume", suspendedIs("False"), 60_000);
    expect(back.status?.phase).toBe("Succeeded");
    await waitFor(
      "its agent pod to come back",
      async () => ((await agentPods("idle")).length > 0 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
  }, 300_000);

  it("goes with its task, unless its Org retains workspaces", async () => {
    const quick = ["sh", "-c", "echo done > done.txt"];
    await applyManifest(
      cluster,
      taskManifest("brief", NS, { org: "keep", prompt: "Be brief", command: quick }),
    );
    await applyManifest(
      cluster,
      taskManifest("lasting", "org-hold", { org: "hold", prompt: "Last", command: quick }),
    );
    await waitForTask(cluster, NS, "brief", "to finish", phaseIs("Succeeded", "Failed"), 120_000);
    await waitForTask(cluster, "org-hold", "lasting", "to finish", phaseIs("Succeeded", "Failed"), 120_000);
    const claim = (ns: string, name: string) =>
      getJson<{ metadata: { ownerReferences?: unknown[] } }>(cluster, ["pvc", `${name}-workspace`, "-n", ns]);
    expect((await claim("org-hold", "lasting"))?.metadata.ownerReferences).toBeUndefined();
    await cluster.kubectl(["delete", "agenttask", "brief", "-n", NS, "--wait=false"]);
    await cluster.kubectl(["delete", "agenttask", "lasting", "-n", "org-hold", "--wait=false"]);
    await waitFor(
      "the deleted task's claim to go",
      async () => ((await claim(NS, "brief")) ? undefined : true),
      {
        timeoutMs: 60_000,
      },
    );
    await waitFor("the retaining Org's task to go", async () =>
      (await getJson(cluster, ["agenttask", "lasting", "-n", "org-hold"])) ? undefined : true,
    );
    expect(await claim("org-hold", "lasting")).toBeDefined();
  }, 300_000);
});
