import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { orgManifest } from "../schema/fixtures.test-support.ts";
import { applyManifest, clusterWithCrds, waitForOrgCounts } from "../test/support/operator.ts";
import {
  childrenPerTask,
  createdMoreThanOnce,
  createsPerName,
  createTask,
  inParallel,
  listTasks,
  notExactlyOne,
  type OperatorProcess,
  operatorProcess,
  operatorWrites,
  seconds,
  summary,
  testClient,
  waitForPhase,
} from "./support/chaos.ts";

const ORG = "burst";
const NS = `org-${ORG}`;
const BURST = 500;
const RESYNC_TASKS = 1000;
const KILLS = 3;

let cluster: DevCluster;
let operator: OperatorProcess;
const client = () => testClient(cluster);
const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `t-${from + i}`);

beforeAll(async () => {
  // An agent pod asks for 350m and a kwok node offers 32 CPUs and 110 pods: 90 tasks a node.
  cluster = await clusterWithCrds("chaos-crash", { nodes: Math.ceil(RESYNC_TASKS / 90) });
  await applyManifest(cluster, orgManifest(ORG, { limits: { maxConcurrentTasks: 1000 } }));
  operator = await operatorProcess(cluster);
  await operator.ready();
});

afterAll(async () => {
  await operator?.process.stop();
  await cluster?.stop();
});

describe("an operator killed with SIGKILL during a burst of tasks", () => {
  it(`ends every one of ${BURST} tasks Running with one Deployment and one Service, none lost or duplicated`, async () => {
    const burst = names(0, BURST);
    // Where to kill: after this many of the burst's 2×N steps (created, then Running) are done.
    const killAt = Array.from({ length: KILLS }, () => randomInt(BURST / 5, (2 * BURST * 9) / 10)).sort(
      (a, b) => a - b,
    );
    let created = 0;
    const creating = inParallel(BURST, 10, async (i) => {
      await createTask(client(), NS, burst[i] as string, { org: ORG, prompt: `task ${i}` });
      created++;
    });
    const recoveries: number[] = [];
    for (const at of killAt) {
      await waitFor(
        `${at} steps of the burst`,
        async () => {
          const running = (await listTasks(client(), NS)).filter((t) => t.status?.phase === "Running").length;
          return created + running >= at ? true : undefined;
        },
        { timeoutMs: 300_000, intervalMs: 100 },
      );
      await operator.process.kill("SIGKILL");
      const restarted = performance.now();
      operator = await operatorProcess(cluster);
      await operator.ready();
      recoveries.push(performance.now() - restarted);
    }
    await creating;
    const tasks = await waitForPhase(client(), NS, burst, "Running", 420_000);

    const deployments = await childrenPerTask(client(), `/apis/apps/v1/namespaces/${NS}/deployments`);
    const services = await childrenPerTask(client(), `/api/v1/namespaces/${NS}/services`);
    const replicaSets = await childrenPerTask(client(), `/apis/apps/v1/namespaces/${NS}/replicasets`);
    const writes = await operatorWrites(cluster);
    const deploymentCreates = createsPerName(writes, "deployments");
    const serviceCreates = createsPerName(writes, "services");
    summary("operator SIGKILL x3 in a 500-task burst", {
      tasks: tasks.length,
      killedAtStep: killAt.join(","),
      writes: writes.length,
      duplicates:
        createdMoreThanOnce(burst, deploymentCreates).length +
        createdMoreThanOnce(burst, serviceCreates).length,
      recover: recoveries.map(seconds).join(","),
    });
    expect(tasks.filter((t) => t.status?.attempts !== 1).map((t) => t.metadata.name)).toEqual([]);
    expect(notExactlyOne(burst, deployments)).toEqual([]);
    expect(notExactlyOne(burst, services)).toEqual([]);
    // One ReplicaSet: no restart rendered a different pod template for a task.
    expect(notExactlyOne(burst, replicaSets)).toEqual([]);
    // No object was created twice. A create in flight when the operator is killed can be committed
    // while the API server answers the client that is gone with an error, so its audit event holds
    // no 201: that each object exists exactly once is what the checks above hold.
    expect(createdMoreThanOnce(burst, deploymentCreates)).toEqual([]);
    expect(createdMoreThanOnce(burst, serviceCreates)).toEqual([]);
  });
});

describe("a resync of 1,000 unchanged tasks", () => {
  it("writes nothing", async () => {
    const rest = names(BURST, RESYNC_TASKS);
    await inParallel(rest.length, 10, (i) =>
      createTask(client(), NS, rest[i] as string, { org: ORG, prompt: `task ${BURST + i}` }),
    );
    const all = names(0, RESYNC_TASKS);
    await waitForPhase(client(), NS, all, "Running", 420_000);
    // Settled: the children of every task exist, so the operator has nothing left to do.
    await waitFor(
      "a Deployment for every task",
      async () =>
        (await childrenPerTask(client(), `/apis/apps/v1/namespaces/${NS}/deployments`)).size === RESYNC_TASKS
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    await waitForOrgCounts(cluster);
    await operator.process.stop();
    const before = (await operatorWrites(cluster)).length;
    const started = performance.now();
    operator = await operatorProcess(cluster, { flags: ["--resync-period=2s"] });
    await operator.ready();
    const reconciled = () =>
      operator.metric("agentyard_reconcile_duration_seconds_count", { controller: "agenttask" });
    // A new operator reconciles every task once at start, then at every resync.
    await waitFor(
      "three reconciles of every task",
      async () => ((await reconciled()) >= 3 * RESYNC_TASKS ? true : undefined),
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    const after = await operatorWrites(cluster);
    const written = after.slice(before);
    summary("resync of 1,000 unchanged tasks", {
      tasks: RESYNC_TASKS,
      reconciles: await reconciled(),
      writes: written.length,
      took: seconds(performance.now() - started),
    });
    expect(written.map((e) => `${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name}`)).toEqual([]);
  });
});
