import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { branchCommit, gitIn } from "../devcluster/git.ts";
import { taskManifest } from "../schema/fixtures.test-support.ts";
import { type LocalAgents, startLocalAgents } from "./support/local-agents.ts";
import { applyManifest, phaseIs, waitForTask } from "./support/operator.ts";

let world: LocalAgents;
let cluster: DevCluster;
let origin: string;

beforeAll(async () => {
  world = await startLocalAgents("e2e");
  ({ cluster, origin } = world);
});

afterAll(async () => {
  await world?.stop();
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
