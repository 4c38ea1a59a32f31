import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
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

let cluster: DevCluster;
let operator: RunningOperator;

beforeAll(async () => {
  cluster = await clusterWithCrds("quota");
  operator = await startTestOperator(cluster);
  await applyManifest(cluster, orgManifest("busy", { limits: { maxConcurrentTasks: 2 } }));
  await applyManifest(cluster, orgManifest("calm", { limits: { maxConcurrentTasks: 1 } }));
  for (const org of ["busy", "calm"]) {
    await waitFor(`Org ${org} to be Ready`, async () =>
      (await getOrg(cluster, org))?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
        ? true
        : undefined,
    );
  }
});

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

describe("Org.spec.limits.maxConcurrentTasks", () => {
  it("queues the tasks beyond the limit, oldest first, without creating anything for them", async () => {
    // One apply: the same creation second for all, so the name breaks the tie as creation order would.
    const items = ["q1", "q2", "q3", "q4"].map((n) =>
      taskManifest(n, "org-busy", { org: "busy", prompt: n }),
    );
    await applyManifest(cluster, { apiVersion: "v1", kind: "List", items });
    await waitForTask(cluster, "org-busy", "q1", "to run", phaseIs("Running"));
    await waitForTask(cluster, "org-busy", "q2", "to run", phaseIs("Running"));
    const q3 = await waitForTask(cluster, "org-busy", "q3", "to queue", phaseIs("Queued"));
    expect(q3.status?.message).toBe("waiting for a free slot: 2 of 2 tasks of Org busy are running");
    const q4 = await waitForTask(cluster, "org-busy", "q4", "to queue", phaseIs("Queued"));
    expect(q4.status?.message).toContain("1 queued ahead of it");
    expect(await getJson(cluster, ["deployment", "q3", "-n", "org-busy"])).toBeUndefined();
    const org = await waitFor("the Org to count its tasks", async () => {
      const o = await getOrg(cluster, "busy");
      return o?.status?.tasks?.queued === 2 && o.status.tasks.running === 2 ? o : undefined;
    });
    expect(org.status?.tasks).toMatchObject({ running: 2, queued: 2 });
  });

  it("never lets a busy Org delay another", async () => {
    await applyManifest(cluster, taskManifest("c1", "org-calm", { org: "calm", prompt: "x" }));
    await waitForTask(cluster, "org-calm", "c1", "to run", phaseIs("Running"));
  });

  it("starts the oldest queued task when a slot frees", async () => {
    await writeAgentState(cluster, "org-busy", "q1", {
      attempt: "1",
      finishedAt: new Date().toISOString(),
      exitCode: "0",
    });
    await waitForTask(cluster, "org-busy", "q1", "to succeed", phaseIs("Succeeded"));
    await waitForTask(cluster, "org-busy", "q3", "to run", phaseIs("Running"));
    expect(
      (await waitForTask(cluster, "org-busy", "q4", "to stay queued", phaseIs("Queued"))).status?.attempts,
    ).toBeUndefined();
  });

  it("cancels a queued task without ever starting it", async () => {
    await cluster.kubectl([
      "patch",
      "agenttask",
      "q4",
      "-n",
      "org-busy",
      "--type=merge",
      "-p",
      '{"spec":{"cancel":true}}',
    ]);
    const t = await waitForTask(cluster, "org-busy", "q4", "to be Cancelled", phaseIs("Cancelled"));
    expect(t.status?.deployment).toBeUndefined();
    expect(await getJson(cluster, ["deployment", "q4", "-n", "org-busy"])).toBeUndefined();
  });
});
