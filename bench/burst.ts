import type { ClusterClient } from "@agentyard/kube-runtime";
import { taskPath } from "../api/resources.ts";
import { readAuditLog } from "../devcluster/audit.ts";
import { waitFor } from "../devcluster/http.ts";
import type { AgentWorkload } from "../schema/index.ts";
import { applyObjectSet, createPodAndService, podReady, podTask } from "./baselines.ts";
import type { ResidentMemory } from "./memory-status.ts";
import { OperatorProcess } from "./operator-process.ts";
import { settledWrites } from "./settle.ts";
import { latencies } from "./stats.ts";
import { markdownTable, mebibytes, perSecond, ratio, seconds } from "./table.ts";
import {
  type BenchWorld,
  benchOrgs,
  benchWorld,
  createNamespace,
  createOrg,
  FirstSeen,
  inParallel,
  log,
  PODS,
  type Pod,
  TASKS,
  type Task,
  taskManifest,
} from "./world.ts";
import {
  controllerManagerWrites,
  countWrites,
  receivedAtUs,
  type WriteCounts,
  writeKinds,
  writerOf,
} from "./writes.ts";

/** One row of a burst: N objects from the first create until each reached its state. */
export interface PhaseResult {
  label: string;
  count: number;
  /** From the first create until the last object reached its state. */
  elapsedMs: number;
  /** Per object, from the start of its create until it reached its state. */
  samples: number[];
  /** Per object, performance.now() when its create started. */
  startedAt: Map<string, number>;
  writes: WriteCounts;
  /** The controller-manager's writes in the run's namespaces, per controller. */
  controllers: Record<string, number>;
  /** The same, only those received between the first create and the last object reaching its state. */
  controllersDuring: Record<string, number>;
  /** The operator's writes by verb and resource, in an operator run. */
  operatorKinds?: Record<string, number>;
  /** In an operator run, per task: from its create until its pod was Ready. */
  podReady?: number[];
  /** In an operator run, per task: from its pod being Ready until the task reported Running. */
  reportLag?: number[];
}

export interface BurstResult {
  count: number;
  concurrency: number;
  raw?: PhaseResult;
  objectSet?: PhaseResult;
  podService?: PhaseResult;
  operator: PhaseResult;
  /** The same burst in Orgs whose agents run as bare Pods (spec.agent.workload Pod), by the same process. */
  operatorPod?: PhaseResult;
  memory: { idle: ResidentMemory; after: ResidentMemory };
  /** Times the operator process exited on its own during the run and was started again. */
  operatorRestarts: number;
}

const timeoutFor = (count: number) => Math.max(180_000, count * 1_500);

/**
 * Creates `count` things with `concurrency` in flight and waits until each reached its state; the
 * writes are those of the namespaces named, until they settle.
 */
async function measure(
  world: BenchWorld,
  label: string,
  count: number,
  concurrency: number,
  create: (i: number) => Promise<unknown>,
  watch: {
    seen?: Pick<FirstSeen<Task>, "at" | "all">;
    key: (i: number) => string;
    namespaces: string[];
    operator?: boolean;
  },
): Promise<PhaseResult> {
  log(`${label}: ${count}, ${concurrency} in flight`);
  const sinceMs = Date.now();
  const startedAt = new Map<string, number>();
  const doneAt = new Map<string, number>();
  const first = performance.now();
  await inParallel(count, concurrency, async (i) => {
    startedAt.set(watch.key(i), performance.now());
    await create(i);
    doneAt.set(watch.key(i), performance.now());
  });
  const reached = watch.seen ? watch.seen.at : doneAt;
  if (watch.seen) await watch.seen.all(count, `${label} reached`, timeoutFor(count));
  const last = Math.max(...reached.values());
  const samples = [...startedAt].map(([key, at]) => (reached.get(key) as number) - at);
  const writers = watch.operator
    ? (["operator"] as const)
    : (["kube-controller-manager", "kube-scheduler"] as const);
  const settled = await settledWrites(
    world.cluster.auditLog,
    { sinceMs, namespaces: watch.namespaces },
    writers,
  );
  const events = await readAuditLog(world.cluster.auditLog);
  // The operator also writes outside the tasks' namespace (Org status): count all of its writes.
  const writes = watch.operator
    ? { ...settled, operator: countWrites(events, { sinceMs }).operator }
    : settled;
  const controllers = controllerManagerWrites(events, { sinceMs, namespaces: watch.namespaces });
  const untilMs = Date.now() - (performance.now() - last);
  const controllersDuring = controllerManagerWrites(events, {
    sinceMs,
    untilMs,
    namespaces: watch.namespaces,
  });
  const operatorKinds = watch.operator
    ? writeKinds(events.filter((e) => writerOf(e) === "operator" && receivedAtUs(e) >= sinceMs * 1000))
    : undefined;
  return {
    label,
    count,
    elapsedMs: last - first,
    samples,
    startedAt,
    writes,
    controllers,
    controllersDuring,
    operatorKinds,
  };
}

async function rawConfigMaps(world: BenchWorld, count: number, concurrency: number): Promise<PhaseResult> {
  await createNamespace(world.client, "raw");
  return measure(
    world,
    "(a) raw ConfigMap creates",
    count,
    concurrency,
    (i) =>
      world.client.request("POST", "/api/v1/namespaces/raw/configmaps", {
        body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}` }, data: { prompt: "x" } },
      }),
    { key: (i) => `cm-${i}`, namespaces: ["raw"] },
  );
}

/** Baselines (b) and (c): objects a client creates itself, until each task's pod is Ready. */
async function directPods(
  world: BenchWorld,
  label: string,
  orgName: string,
  count: number,
  concurrency: number,
  create: (client: ClusterClient, task: string, org: string) => Promise<void>,
): Promise<PhaseResult> {
  const namespace = `org-${orgName}`;
  await createNamespace(world.client, namespace);
  await waitForDefaultServiceAccount(world, namespace);
  const seen = new FirstSeen<Pod>(world.client, PODS, podTask, podReady, { namespace });
  await seen.start();
  try {
    return await measure(world, label, count, concurrency, (i) => create(world.client, `t-${i}`, orgName), {
      seen,
      key: (i) => `t-${i}`,
      namespaces: [namespace],
    });
  } finally {
    seen.stop();
  }
}

/** Pods name a ServiceAccount; the controller-manager makes a namespace's default one shortly after it. */
async function waitForDefaultServiceAccount(world: BenchWorld, namespace: string): Promise<void> {
  await waitFor(`the default ServiceAccount of ${namespace}`, async () =>
    (await world.client
      .request("GET", `/api/v1/namespaces/${namespace}/serviceaccounts/default`)
      .catch(() => undefined))
      ? true
      : undefined,
  );
}

/** AgentTasks through the operator, from create until each reports phase Running. */
export async function operatorBurst(
  world: BenchWorld,
  count: number,
  concurrency: number,
  prefix = "bench",
  workload: AgentWorkload = "Deployment",
): Promise<PhaseResult> {
  const orgs = benchOrgs(prefix, count, workload);
  const namespaces = await Promise.all(orgs.map((org) => createOrg(world, org)));
  const taskOf = (i: number) => ({
    org: orgs[Math.floor(i / 1000)]?.metadata.name as string,
    name: `t-${i}`,
  });
  const seen = new FirstSeen<Task>(
    world.client,
    TASKS,
    // Another run's tasks have the same names in their own namespaces.
    (t) => (namespaces.includes(t.metadata.namespace) ? t.metadata.name : undefined),
    (t) => t.status?.phase === "Running",
  );
  // The tasks' pods too: how much of a task's time to Running is the operator's own report.
  const pods = new FirstSeen<Pod>(
    world.client,
    PODS,
    (pod) => (namespaces.includes(pod.metadata.namespace) ? podTask(pod) : undefined),
    podReady,
  );
  await Promise.all([seen.start(), pods.start()]);
  try {
    const result = await measure(
      world,
      `AgentTasks through the operator (${workload})`,
      count,
      concurrency,
      (i) => {
        const { org, name } = taskOf(i);
        return world.client.request("POST", taskPath(`org-${org}`), {
          body: taskManifest(name, `org-${org}`, org),
        });
      },
      { seen, key: (i) => `t-${i}`, namespaces, operator: true },
    );
    const podReadyMs: number[] = [];
    const reportLag: number[] = [];
    for (const [task, running] of seen.at) {
      const ready = pods.at.get(task);
      if (ready === undefined) continue;
      reportLag.push(running - ready);
      podReadyMs.push(ready - (result.startedAt.get(task) as number));
    }
    return { ...result, podReady: podReadyMs, reportLag };
  } finally {
    seen.stop();
    pods.stop();
  }
}

/** Pods held at once: both operator runs' and both direct baselines' stay until the cluster stops. */
export const burstPods = (count: number) => 4 * count;

export async function runBurst(count: number, concurrency: number): Promise<BurstResult> {
  const world = await benchWorld(`burst-${count}`, burstPods(count));
  try {
    const raw = await rawConfigMaps(world, count, concurrency);
    // The operator's run comes first and its process stops before the direct baselines: their
    // objects carry the operator's labels, so its informers would cache them and its controllers
    // look at them.
    const operator = await OperatorProcess.spawn(world.cluster, "bench-1");
    let result: PhaseResult;
    let pods: PhaseResult;
    let idle: ResidentMemory;
    let after: ResidentMemory;
    try {
      await operator.ready();
      idle = await operator.memory();
      result = await operatorBurst(world, count, concurrency);
      after = await operator.memory();
      pods = await operatorBurst(world, count, concurrency, "benchpod", "Pod");
    } finally {
      await operator.stop();
    }
    const operatorRestarts = operator.restarts;
    const objectSet = await directPods(
      world,
      "(b) the operator's object set, created directly",
      "direct",
      count,
      concurrency,
      applyObjectSet,
    );
    const podService = await directPods(
      world,
      "(c) Pod + Service, created directly",
      "pods",
      count,
      concurrency,
      createPodAndService,
    );
    return {
      count,
      concurrency,
      raw,
      objectSet,
      podService,
      operator: result,
      operatorPod: pods,
      memory: { idle, after },
      operatorRestarts,
    };
  } finally {
    await world.cluster.stop();
  }
}

const rate = (p: PhaseResult) => (p.count / p.elapsedMs) * 1000;
const perTask = (writes: number, p: PhaseResult) => (writes / p.count).toFixed(1);

const restartsText = (n: number) =>
  n === 0 ? "no restart" : `exited on its own ${n}× and was started again (RSS of the last process)`;

/** The burst's table: one row per phase, rates as ratios to each baseline, writes per task by component. */
export function burstTable(result: BurstResult): string {
  const phases = [
    result.raw,
    result.objectSet,
    result.podService,
    result.operator,
    result.operatorPod,
  ].filter((p): p is PhaseResult => p !== undefined);
  const header = [
    "run",
    "rate",
    "p50",
    "p95",
    "p99",
    "÷ (a)",
    "÷ (b)",
    "÷ (c)",
    "writes/task: client or operator",
    "controller-manager",
    "scheduler",
    "kwok",
  ];
  const rows = phases.map((p) => {
    const l = latencies(p.samples);
    const own = p === result.operator || p === result.operatorPod ? p.writes.operator : p.writes.client;
    return [
      p.label,
      perSecond(rate(p)),
      seconds(l.p50),
      seconds(l.p95),
      seconds(l.p99),
      ratio(rate(p), result.raw && rate(result.raw)),
      ratio(rate(p), result.objectSet && rate(result.objectSet)),
      ratio(rate(p), result.podService && rate(result.podService)),
      perTask(own, p),
      perTask(p.writes["kube-controller-manager"], p),
      perTask(p.writes["kube-scheduler"], p),
      perTask(p.writes.kwok, p),
    ];
  });
  const { idle, after } = result.memory;
  rows.push([
    "operator process RSS (VmRSS idle → after the Deployment burst; VmHWM peak, after both)",
    `${mebibytes(idle.rssKiB)} → ${mebibytes(after.rssKiB)}; peak ${mebibytes(after.hwmKiB)}; ${restartsText(result.operatorRestarts)}`,
    ...Array.from({ length: header.length - 2 }, () => ""),
  ]);
  return markdownTable(header, rows);
}

/** The controller-manager's default client-side limit per controller (--kube-api-qps). */
const CONTROLLER_QPS = 20;

/** What bounds each row, from this run's own counts. */
export function burstNotes(result: BurstResult): string[] {
  const notes = [
    `N = ${result.count}, ${result.concurrency} creates in flight. Latency: from the start of a task's first create until it first reports phase Running (operator) or its pod first reports Ready (b, c), as seen by a watch in the benchmark process; (a) is the create request itself. Rate: N from the first create until the last one got there.`,
    "Writes are counted from the API server's audit log (writes only, Lease renewals left out) in the run's namespaces, until they settle; the operator's in every namespace (Org status included). The operator runs as `agentyard operator` in a process of its own, with leader election, after (a) and before (b) and (c), and is stopped before them: their objects carry its labels, and its informers would cache them. The same process runs the burst twice: for Orgs with the default workload (Deployment), then for Orgs of their own with `spec.agent.workload: Pod`.",
  ];
  for (const p of [result.objectSet, result.podService, result.operator, result.operatorPod]) {
    if (!p || Object.keys(p.controllers).length === 0) continue;
    const byController = Object.entries(p.controllers).sort((x, y) => y[1] - x[1]);
    const perTask = byController.map(([c, n]) => `${c} ${(n / p.count).toFixed(1)}`).join(", ");
    const busiest = byController
      .slice(0, 2)
      .map(([c]) => `${c} ${(((p.controllersDuring[c] ?? 0) / p.elapsedMs) * 1000).toFixed(1)}/s`)
      .join(", ");
    notes.push(
      `${p.label}: the controller-manager's writes per task: ${perTask}. While the run lasted (${seconds(p.elapsedMs)}) its busiest controllers wrote ${busiest}; each controller's client is limited to ${CONTROLLER_QPS} requests/s (burst 30) by default, its reads included.`,
    );
  }
  for (const op of [result.operator, result.operatorPod]) {
    if (op) notes.push(...operatorNotes(op));
  }
  return notes;
}

/** Where an operator run's writes and time went. */
function operatorNotes(op: PhaseResult): string[] {
  const notes: string[] = [];
  const kinds = op.operatorKinds;
  if (kinds) {
    const parts = Object.entries(kinds)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, n]) => `${kind} ${(n / op.count).toFixed(2)}`)
      .join(", ");
    notes.push(`${op.label}: the operator's writes per task: ${parts}.`);
  }
  const { podReady: ready, reportLag } = op;
  if (ready && reportLag && ready.length > 0) {
    const r = latencies(ready);
    const lag = latencies(reportLag);
    notes.push(
      `${op.label}: the tasks' pods were Ready ${seconds(r.p50)} (p50), ${seconds(r.p99)} (p99) after their task's create; the task reported Running ${seconds(lag.p50)} (p50), ${seconds(lag.p99)} (p99) after its pod was Ready (${ready.length} of ${op.count} pods seen).`,
    );
  }
  return notes;
}
