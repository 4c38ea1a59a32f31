import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { kubeconfigYaml } from "../devcluster/kubeconfig.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import {
  applyManifest,
  clusterWithCrds,
  condition,
  getJson,
  getOrg,
  orgWithKubeconfig,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "../test/support/operator.ts";
import { seconds, summary } from "./support/chaos.ts";
import { type FaultProxy, faultProxy, type ProxyMode } from "./support/fault-proxy.ts";

/**
 * An Org whose agents run in a cluster of its own (east, behind a proxy that can misbehave) and an
 * Org on the management cluster, on one operator that is never restarted. Each fault must make
 * only the remote Org not Ready; the local Org's tasks go on; when the fault ends the remote Org
 * becomes Ready by itself and the task created during the fault runs.
 */

const REMOTE = "remote";
const LOCAL = "steady";
// The bad-cluster deadlines, short so that each fault is noticed in seconds.
const DEADLINES = { probeMs: 2_000, syncMs: 3_000 };

let management: DevCluster;
let east: DevCluster;
let proxy: FaultProxy;
let operator: RunningOperator | undefined;

beforeAll(async () => {
  [management, east] = await Promise.all([
    clusterWithCrds("chaos-mgmt"),
    DevCluster.start({ name: "chaos-east" }),
  ]);
  proxy = await faultProxy(east);
  await management.kubectl(["create", "namespace", "capi"]);
  await orgWithKubeconfig(
    management,
    REMOTE,
    kubeconfigYaml({ name: "east", server: proxy.url, ca: proxy.ca, user: "admin", token: east.token() }),
  );
  await applyManifest(management, orgManifest(LOCAL));
  operator = await startTestOperator(management, { clusterDeadlines: DEADLINES });
});

afterAll(async () => {
  await operator?.stop();
  await proxy?.close();
  await Promise.all([management?.stop(), east?.stop()]);
});

const ready = async (name: string) => condition(await getOrg(management, name), "Ready");

async function orgReady(name: string, status: "True" | "False", timeoutMs: number): Promise<string> {
  const c = await waitFor(
    `Org ${name} Ready=${status}`,
    async () => {
      const r = await ready(name);
      return r?.status === status ? r : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
  return c.reason ?? "";
}

async function taskRunning(org: string, name: string, timeoutMs = 90_000): Promise<void> {
  await applyManifest(management, taskManifest(name, `org-${org}`, { org, prompt: name }));
  await waitForTask(management, `org-${org}`, name, "to be Running", phaseIs("Running"), timeoutMs);
}

async function deploymentsInEast(task: string): Promise<number> {
  const list = await east.kubectl([
    "get",
    "deployments",
    "-n",
    `org-${REMOTE}`,
    "-l",
    `agentyard.dev/task=${task}`,
    "-o",
    "name",
  ]);
  return list.stdout.split("\n").filter(Boolean).length;
}

const FAULTS: { name: string; start: () => Promise<void>; end: () => Promise<void> }[] = [
  {
    name: "disappears (its kube-apiserver stopped)",
    start: () => east.stopComponent("kube-apiserver"),
    end: () => east.startComponent("kube-apiserver"),
  },
  ...(
    [
      ["hangs (requests held, never answered)", "hang"],
      ["answers 403", "forbidden"],
      ["answers 500", "error"],
    ] as [string, ProxyMode][]
  ).map(([name, mode]) => ({
    name,
    start: async () => proxy.setMode(mode),
    end: async () => proxy.setMode("pass"),
  })),
];

describe("an Org's cluster that fails and comes back", () => {
  it("starts with both Orgs Ready and running tasks", async () => {
    await orgReady(REMOTE, "True", 60_000);
    await orgReady(LOCAL, "True", 60_000);
    await taskRunning(REMOTE, "remote-first");
    await taskRunning(LOCAL, "steady-first");
    expect(await deploymentsInEast("remote-first")).toBe(1);
  });

  FAULTS.forEach((fault, i) => {
    it(`${fault.name}: only its Org degrades, then heals by itself`, async () => {
      await fault.start();
      const started = performance.now();
      // A task of the remote Org during the fault wakes the Org, which finds its cluster gone.
      const during = `remote-during-${i}`;
      await applyManifest(management, taskManifest(during, `org-${REMOTE}`, { org: REMOTE, prompt: during }));
      const reason = await orgReady(REMOTE, "False", 60_000);
      const degradedIn = performance.now() - started;
      // Meanwhile the other Org is Ready and its tasks run.
      await taskRunning(LOCAL, `steady-during-${i}`);
      expect((await ready(LOCAL))?.status).toBe("True");
      expect((await ready(REMOTE))?.status).toBe("False");

      await fault.end();
      const ended = performance.now();
      await orgReady(REMOTE, "True", 90_000);
      const healedIn = performance.now() - ended;
      await waitForTask(
        management,
        `org-${REMOTE}`,
        during,
        "to be Running",
        phaseIs("Running"),
        90_000,
      ).catch(async (err) => {
        const there = await east.kubectl(["get", "deployments,replicasets,pods", "-n", `org-${REMOTE}`]);
        throw new Error(`${(err as Error).message}; in east: ${there.stdout}${there.stderr}`);
      });
      const runningIn = performance.now() - ended;
      expect(await deploymentsInEast(during)).toBe(1);
      const local = await getJson<{ items: { status?: { phase?: string } }[] }>(management, [
        "agenttasks",
        "-n",
        `org-${LOCAL}`,
      ]);
      summary(`Org cluster ${fault.name}`, {
        tasks: (local?.items.length ?? 0) + 1,
        degradedIn: seconds(degradedIn),
        reason,
        healedIn: seconds(healedIn),
        taskRunningIn: seconds(runningIn),
        duplicates: (await deploymentsInEast(during)) - 1,
      });
      expect(local?.items.every((t) => t.status?.phase === "Running")).toBe(true);
    });
  });

  it("kept the tasks that were running before the faults", async () => {
    expect(await deploymentsInEast("remote-first")).toBe(1);
    await waitForTask(
      management,
      `org-${REMOTE}`,
      "remote-first",
      "to be Running",
      phaseIs("Running"),
      60_000,
    );
  });
});
