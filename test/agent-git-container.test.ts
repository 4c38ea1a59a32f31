import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@agentyard/kube-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { LOCAL_LABEL, LOCAL_TAINT, type NodeAgent, startNodeAgent } from "../devcluster/node-agent/index.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import { bareRepo, branchCommit, type GitHttpServer, gitHttpServer, gitIn } from "./support/git.ts";
import {
  applyManifest,
  clusterWithCrds,
  getJson,
  orgWhenReadyReason,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";

const TOKEN = "t0ken-of-the-private-org";

/**
 * The task's command, looking for the token everywhere its container lets it look: its environment,
 * its parent's (the runtime's) environment and argv, and every file under every folder a variable
 * of its environment names (the node agent makes each mount a local folder and says where). It
 * writes what it found into the workspace, so that the push carries the verdict.
 */
const HUNT = `
T="${TOKEN.slice(0, 5)}""${TOKEN.slice(5)}"
found=""
for value in $(env | sed 's/^[^=]*=//'); do
  if [ -d "$value" ] && grep -rlq "$T" "$value" 2>/dev/null; then found="$found $value"; fi
done
env | grep -q "$T" && found="$found env"
for f in /proc/self/environ /proc/$PPID/environ /proc/$PPID/cmdline; do grep -q "$T" "$f" && found="$found $f"; done
if [ -n "$found" ]; then echo "found:$found" > verdict.txt; else echo "nothing found" > verdict.txt; fi`;

let cluster: DevCluster;
let operator: RunningOperator;
let nodeAgent: NodeAgent;
let server: GitHttpServer;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "agentyard-git-container-"));
  server = await gitHttpServer(work, { username: "x-access-token", password: TOKEN });
  await bareRepo(join(work, "private.git"), { "README.md": "# private\n" });
  cluster = await clusterWithCrds("git-container");
  operator = await startTestOperator(cluster);
  nodeAgent = await startNodeAgent({
    kubeconfig: cluster.kubeconfigPath(),
    workDir: join(work, "node"),
    log: silentLogger(),
  });
  await applyManifest(cluster, { apiVersion: "v1", kind: "Namespace", metadata: { name: "capi" } });
  await applyManifest(cluster, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "private-git", namespace: "capi" },
    stringData: { token: TOKEN, username: "x-access-token" },
  });
  await applyManifest(
    cluster,
    orgManifest("private", {
      repo: { url: server.url("private.git"), branch: "main" },
      git: { credentialsSecretRef: { name: "private-git", namespace: "capi" } },
      agent: {
        command: ["sh", "-c", HUNT],
        nodeSelector: { [LOCAL_LABEL]: "true" },
        tolerations: [{ key: LOCAL_TAINT.key, operator: "Exists", effect: LOCAL_TAINT.effect }],
      },
      editor: { enabled: false },
    }),
  );
  await orgWhenReadyReason(cluster, "private", "Ready");
});

afterAll(async () => {
  await nodeAgent?.stop();
  await operator?.stop();
  await cluster?.stop();
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

interface PodSpec {
  containers: { name: string; image: string; volumeMounts?: { name: string }[]; env?: { name: string }[] }[];
}

describe("an Org's git credentials, on the devcluster", () => {
  it("reach the git container only: the task's command finds no token, and the push lands with it", async () => {
    await applyManifest(
      cluster,
      taskManifest("hunt", "org-private", { org: "private", prompt: "Look around" }),
    );
    const done = await waitForTask(
      cluster,
      "org-private",
      "hunt",
      "to finish",
      phaseIs("Succeeded", "Failed"),
      90_000,
    );
    expect(done.status?.phase, done.status?.message).toBe("Succeeded");
    const origin = join(work, "private.git");
    expect(await branchCommit(origin, "agentyard/hunt")).toBe(done.status?.artifacts?.lastPR?.commit);
    expect(await gitIn(origin, ["show", "agentyard/hunt:verdict.txt"])).toBe("nothing found\n");
    expect(server.authorizations).toContain(
      `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`,
    );

    // The pod the API server admitted, in the Org's namespace, which enforces PodSecurity restricted.
    const ns = await getJson<{ metadata: { labels: Record<string, string> } }>(cluster, [
      "namespace",
      "org-private",
    ]);
    expect(ns?.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const pods = await getJson<{ items: { spec: PodSpec }[] }>(cluster, [
      "pods",
      "-n",
      "org-private",
      "-l",
      "agentyard.dev/task=hunt",
    ]);
    const spec = pods?.items[0]?.spec as PodSpec;
    expect(spec.containers.map((c) => c.name)).toEqual(["agent", "git"]);
    for (const c of spec.containers) {
      const mounts = (c.volumeMounts ?? []).map((m) => m.name);
      const env = (c.env ?? []).map((e) => e.name);
      if (c.name === "git") expect(mounts).toContain("git-credentials");
      else {
        expect(mounts, c.name).not.toContain("git-credentials");
        expect(env, c.name).not.toContain("AGENTYARD_GIT_CREDENTIALS");
      }
    }
  });
});
