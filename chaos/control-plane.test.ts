import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { orgManifest } from "../schema/fixtures.test-support.ts";
import { type EventsClient, openEvents } from "../test/support/api.ts";
import { applyManifest, clusterWithCrds, getJson } from "../test/support/operator.ts";
import { type ApiProcess, apiProcess } from "./support/api-process.ts";
import {
  childrenPerTask,
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

const ORG = "cp";
const NS = `org-${ORG}`;
const PER_FAULT = 40;

let cluster: DevCluster;
let operator: OperatorProcess;
let api: ApiProcess;
let stream: EventsClient;
const client = () => testClient(cluster);

beforeAll(async () => {
  cluster = await clusterWithCrds("chaos-cp", { nodes: 3 });
  await cluster.kubectl(["create", "namespace", "agentyard-system"]);
  await applyManifest(cluster, orgManifest(ORG, { limits: { maxConcurrentTasks: 1000 } }));
  operator = await operatorProcess(cluster);
  await operator.ready();
  api = await apiProcess(cluster);
  stream = await openEvents(api, `/api/v1/events?org=${ORG}`, { token: cluster.token() });
  expect(stream.status).toBe(200);
});

afterAll(async () => {
  stream?.close();
  await api?.stop();
  await operator?.process.stop();
  await cluster?.stop();
});

/** A `task` event of the stream about the task `name`. */
const carries = (name: string) => (e: { event: string; data: unknown }) =>
  e.event === "task" &&
  (e.data as { object?: { metadata?: { name?: string } } }).object?.metadata?.name === name;

/** Task names of one fault's burst. */
const burstNames = (fault: string, count: number) => Array.from({ length: count }, (_, i) => `${fault}-${i}`);

/**
 * Creates a burst of tasks and runs `fault` once a third of them exist; then every task of the
 * burst must end Running with exactly one Deployment and one Service, created once, and the api
 * must answer a list and stream the change of a task created after the fault, on the stream it
 * opened before. Neither process is restarted. Returns what the summary line reports.
 */
async function burstThrough(fault: string, run: () => Promise<void>) {
  const names = burstNames(fault, PER_FAULT);
  const writesBefore = (await operatorWrites(cluster)).length;
  let created = 0;
  const creating = inParallel(names.length, 5, async (i) => {
    await createTask(client(), NS, names[i] as string, { org: ORG, prompt: `${fault} ${i}` });
    created++;
  });
  await waitFor("a third of the burst", async () => (created >= PER_FAULT / 3 ? true : undefined), {
    timeoutMs: 120_000,
    intervalMs: 50,
  });
  await run();
  const faultOver = performance.now();
  // After the fault: a new task reaches Running, and the stream opened before the fault carries it.
  const probe = `${fault}-after`;
  await createTask(client(), NS, probe, { org: ORG, prompt: "after the fault" });
  await waitForPhase(client(), NS, [probe], "Running", 120_000);
  const recovered = performance.now() - faultOver;
  await waitFor(
    "the api's stream to carry the task created after the fault, or end",
    async () => (stream.events.some((e) => carries(probe)(e) || e.event === "error") ? true : undefined),
    { timeoutMs: 60_000 },
  );
  // The stream opened before the fault goes on: it did not end with an error.
  expect(stream.events.filter((e) => e.event === "error")).toEqual([]);
  const listed = await fetch(`${api.url}/api/v1/tasks?org=${ORG}&limit=500`, {
    headers: { authorization: `Bearer ${cluster.token()}` },
  });
  expect(listed.status).toBe(200);
  expect(
    ((await listed.json()) as { items: { metadata: { name: string } }[] }).items.map((t) => t.metadata.name),
  ).toContain(probe);

  await creating;
  const all = [...names, probe];
  const tasks = await waitForPhase(client(), NS, all, "Running", 240_000);
  const deployments = await childrenPerTask(client(), `/apis/apps/v1/namespaces/${NS}/deployments`);
  const services = await childrenPerTask(client(), `/api/v1/namespaces/${NS}/services`);
  const writes = (await operatorWrites(cluster)).slice(writesBefore);
  const creates = createsPerName(writes, "deployments");
  expect(notExactlyOne(all, deployments)).toEqual([]);
  expect(notExactlyOne(all, services)).toEqual([]);
  expect(notExactlyOne(all, creates)).toEqual([]);
  expect(tasks.filter((t) => t.status?.attempts !== 1).map((t) => t.metadata.name)).toEqual([]);
  expect(operator.process.running).toBe(true);
  expect(api.process.running).toBe(true);
  return {
    tasks: tasks.length,
    writes: writes.length,
    duplicates: notExactlyOne(all, creates).length,
    recover: seconds(recovered),
  };
}

describe("the operator and the api, without a restart of their own", () => {
  it("stream a task created before any fault", async () => {
    await createTask(client(), NS, "before", { org: ORG, prompt: "before the faults" });
    await stream.next("the api's stream to carry a task", carries("before"), 60_000);
    await waitForPhase(client(), NS, ["before"], "Running", 60_000);
  });

  it("go on when kube-apiserver restarts mid-burst", async () => {
    const facts = await burstThrough("apiserver", () => cluster.restart("kube-apiserver"));
    summary("kube-apiserver restart mid-burst", facts);
  });

  it("go on when etcd restarts mid-burst", async () => {
    const facts = await burstThrough("etcd", () => cluster.restart("etcd"));
    summary("etcd restart mid-burst", facts);
  });

  it("list again and miss nothing when their watches expire (410 Gone after etcd compaction)", async () => {
    const goneBefore = await operator.metric("agentyard_informer_watch_restarts_total", { reason: "gone" });
    let revision = 0;
    const facts = await burstThrough("compaction", async () => {
      // With the API server down, its watch cache goes; the compaction leaves every resourceVersion
      // the watchers hold older than what etcd and the new cache can answer from.
      await cluster.stopComponent("kube-apiserver");
      revision = await cluster.compactEtcd();
      await cluster.startComponent("kube-apiserver");
    });
    const gone =
      (await operator.metric("agentyard_informer_watch_restarts_total", { reason: "gone" })) - goneBefore;
    summary("watch expiry (410 Gone) through etcd compaction mid-burst", {
      ...facts,
      compactedTo: revision,
      gone,
    });
    expect(gone).toBeGreaterThan(0);
  });
});

describe("two operator replicas under load", () => {
  const replicas: OperatorProcess[] = [];
  afterAll(async () => {
    for (const r of replicas) await r.process.stop();
  });

  const holder = async () =>
    (
      await getJson<{ spec: { holderIdentity?: string } }>(cluster, [
        "lease",
        "agentyard-operator",
        "-n",
        "agentyard-system",
      ])
    )?.spec.holderIdentity || undefined;

  it("lose their leader to SIGKILL mid-burst: the standby takes over, no task lost or duplicated", async () => {
    await operator.process.stop();
    for (const identity of ["replica-a", "replica-b"]) {
      replicas.push(
        await operatorProcess(cluster, { identity, leaderElection: true, flags: ["--lease-duration=4s"] }),
      );
    }
    const first = await waitFor("a leader", holder, { timeoutMs: 60_000 });
    const names = burstNames("failover", 60);
    const writesBefore = (await operatorWrites(cluster)).length;
    const creating = inParallel(names.length, 5, (i) =>
      createTask(client(), NS, names[i] as string, { org: ORG, prompt: `failover ${i}` }),
    );
    await waitFor(
      "a third of the burst Running",
      async () => {
        const running = (await listTasks(client(), NS)).filter(
          (t) => t.metadata.name?.startsWith("failover-") && t.status?.phase === "Running",
        ).length;
        return running >= names.length / 3 ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 100 },
    );
    const leader = replicas.find((r) => r.identity === first) as OperatorProcess;
    await leader.process.kill("SIGKILL");
    const killed = performance.now();
    const second = await waitFor(
      "the standby to take the lease",
      async () => {
        const h = await holder();
        return h && h !== first ? h : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const tookOver = performance.now() - killed;
    await creating;
    const tasks = await waitForPhase(client(), NS, names, "Running", 240_000);
    const deployments = await childrenPerTask(client(), `/apis/apps/v1/namespaces/${NS}/deployments`);
    const services = await childrenPerTask(client(), `/api/v1/namespaces/${NS}/services`);
    const writes = (await operatorWrites(cluster)).slice(writesBefore);
    const creates = createsPerName(writes, "deployments");
    summary("leader SIGKILL with two replicas mid-burst", {
      tasks: tasks.length,
      writes: writes.length,
      duplicates: notExactlyOne(names, creates).length,
      leaseTakenOverIn: seconds(tookOver),
      leader: `${first}->${second}`,
    });
    expect(notExactlyOne(names, deployments)).toEqual([]);
    expect(notExactlyOne(names, services)).toEqual([]);
    expect(notExactlyOne(names, creates)).toEqual([]);
    expect(tasks.filter((t) => t.status?.attempts !== 1).map((t) => t.metadata.name)).toEqual([]);
  });
});
