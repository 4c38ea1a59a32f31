import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@agentyard/kube-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { demoOrg } from "../devcluster/demo.ts";
import { bareRepo, branchCommit, gitIn } from "../devcluster/git.ts";
import { type NodeAgent, startNodeAgent } from "../devcluster/node-agent/index.ts";
import type { RunningOperator } from "../operator/main.ts";
import { taskManifest } from "../schema/fixtures.test-support.ts";
import {
  applyManifest,
  clusterWithCrds,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";

let cluster: DevCluster;
let operator: RunningOperator;
let nodeAgent: NodeAgent;
let work: string;
let origin: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "agentyard-e2e-"));
  origin = await bareRepo(join(work, "origin.git"), { "README.md": "# e2e\n" });
  cluster = await clusterWithCrds("e2e");
  operator = await startTestOperator(cluster);
  nodeAgent = await startNodeAgent({
    kubeconfig: cluster.kubeconfigPath(),
    workDir: join(work, "node"),
    log: silentLogger(),
  });
  // The demo Org of `npm start`, without the editor: this suite is about the agent's round trip.
  const org = demoOrg(origin);
  await applyManifest(cluster, { ...org, spec: { ...org.spec, editor: { enabled: false } } });
});

afterAll(async () => {
  await nodeAgent?.stop();
  await operator?.stop();
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a task of the demo Org, end to end", () => {
  it("runs the real agent on the node agent, pushes its branch and ends Succeeded with its last PR", async () => {
    await applyManifest(
      cluster,
      taskManifest("greet", "org-demo", { org: "demo", prompt: "Add a greeting\n\nSay hello." }),
    );
    const done = await waitForTask(
      cluster,
      "org-demo",
      "greet",
      "to finish",
      phaseIs("Succeeded", "Failed"),
      90_000,
    );
    expect(done.status?.phase, done.status?.message).toBe("Succeeded");
    const pr = done.status?.artifacts?.lastPR;
    expect(pr).toMatchObject({
      branch: "agentyard/greet",
      base: "main",
      title: "Add a greeting",
      diffstat: { files: 1 },
    });
    expect(await branchCommit(origin, "agentyard/greet")).toBe(pr?.commit);
    expect(await gitIn(origin, ["show", "agentyard/greet:tasks/greet.md"])).toContain("Say hello.");
    const pod = await cluster.kubectl([
      "get",
      "pods",
      "-n",
      "org-demo",
      "-l",
      "agentyard.dev/task=greet",
      "-o",
      "jsonpath={.items[0].spec.nodeName}",
    ]);
    expect(pod.stdout).toBe("agentyard-local");
  });

  it("reports a failing command as Failed with its exit code", async () => {
    await applyManifest(
      cluster,
      taskManifest("broken", "org-demo", {
        org: "demo",
        prompt: "x",
        command: ["sh", "-c", "echo trying; exit 7"],
      }),
    );
    const failed = await waitForTask(
      cluster,
      "org-demo",
      "broken",
      "to fail",
      phaseIs("Failed", "Succeeded"),
      90_000,
    );
    expect(failed.status?.phase).toBe("Failed");
    expect(failed.status?.message).toContain("the agent exited with code 7");
    expect(await branchCommit(origin, "agentyard/broken")).toBeUndefined();
  });
});
