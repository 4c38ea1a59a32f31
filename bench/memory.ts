import { taskPath } from "../api/resources.ts";
import { type CacheSize, operatorCacheSize } from "./cache-size.ts";
import type { ResidentMemory } from "./memory-status.ts";
import type { HeapSize } from "./operator-process.ts";
import { OperatorProcess } from "./operator-process.ts";
import { measureRestart, type RestartResult } from "./restart.ts";
import { settledWrites } from "./settle.ts";
import { markdownTable, mebibytes, seconds } from "./table.ts";
import {
  benchOrgs,
  benchWorld,
  createOrg,
  FirstSeen,
  inParallel,
  log,
  TASKS,
  type Task,
  taskManifest,
} from "./world.ts";

export interface MemoryPoint {
  tasks: number;
  /** VmRSS once the operator's writes settled, and VmHWM, its peak so far. */
  memory: ResidentMemory;
  /** How long the operator took to give every task its children, from the first create. */
  convergedMs?: number;
  /** What its informers hold, measured as JSON from the API server (managedFields included, which they drop). */
  cache: CacheSize;
  /** Its V8 heap at the same moment. */
  heap: HeapSize;
}

export interface MemoryResult {
  points: MemoryPoint[];
  /** A restart of the operator with the largest size present: every task Starting, no pods. */
  restart: RestartResult;
}

/** The state of the tasks at the restart: the controller-manager makes no ReplicaSet, so no pod. */
export const NO_PODS = "Starting (children applied, no pods)";

/** The phases of a task whose children the operator has applied. */
const applied = (t: Task) => t.status?.phase === "Starting" || t.status?.phase === "Running";

/**
 * The operator's memory with 0 tasks and then each size, on one devcluster with the
 * controller-manager stopped: every task gets its Deployment, Service, ConfigMap, Secret and RBAC,
 * which the operator caches, but no ReplicaSet or pod, so the machine holds 10,000 tasks. What the
 * operator would cache of pods is missing from these figures (see the burst for RSS with pods).
 * Then, with the largest size present and unchanged, the operator is restarted (restart.ts).
 */
export async function runMemory(sizes: readonly number[], concurrency: number): Promise<MemoryResult> {
  const ordered = [...sizes].sort((a, b) => a - b);
  const largest = ordered.at(-1) ?? 0;
  const world = await benchWorld("memory", 0);
  try {
    await world.cluster.stopComponent("kube-controller-manager");
    let operator = await OperatorProcess.spawn(world.cluster, "bench-1");
    try {
      await operator.ready();
      const orgs = benchOrgs("mem", largest);
      await Promise.all(orgs.map((org) => createOrg(world, org)));
      await settledWrites(world.cluster.auditLog, {}, ["operator"]);
      const points: MemoryPoint[] = [
        {
          tasks: 0,
          memory: await operator.memory(),
          heap: await operator.heap(),
          cache: await operatorCacheSize(world.client),
        },
      ];
      const seen = new FirstSeen<Task>(world.client, TASKS, (t) => t.metadata.name, applied);
      await seen.start();
      try {
        let created = 0;
        for (const size of ordered) {
          log(`memory: creating tasks ${created}..${size - 1}`);
          const from = created;
          const started = performance.now();
          await inParallel(size - from, concurrency, (j) => {
            const i = from + j;
            const org = orgs[Math.floor(i / 1000)]?.metadata.name as string;
            return world.client.request("POST", taskPath(`org-${org}`), {
              body: taskManifest(`t-${i}`, `org-${org}`, org),
            });
          });
          created = size;
          await seen.all(size, "tasks with their children applied", Math.max(300_000, size * 1_000));
          const convergedMs = Math.max(...seen.at.values()) - started;
          await settledWrites(world.cluster.auditLog, {}, ["operator"], { timeoutMs: 300_000 });
          const memory = await operator.memory();
          const heap = await operator.heap();
          points.push({
            tasks: size,
            memory,
            heap,
            convergedMs,
            cache: await operatorCacheSize(world.client),
          });
          log(`memory: ${size} tasks: ${JSON.stringify(points.at(-1))}`);
        }
      } finally {
        seen.stop();
      }
      const restarted = await measureRestart(world, operator, largest, "bench-2", NO_PODS);
      operator = restarted.operator;
      return { points, restart: restarted.result };
    } finally {
      await operator.stop();
    }
  } finally {
    await world.cluster.stop();
  }
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

export function memoryTable(points: readonly MemoryPoint[]): string {
  return markdownTable(
    [
      "tasks",
      "steady RSS (VmRSS, writes settled)",
      "peak RSS so far (VmHWM)",
      "V8 heap used / total",
      "V8 external",
      "all tasks Starting after",
      "objects its informers cache",
      "their JSON as listed (of it managedFields, which the caches drop)",
    ],
    points.map((p) => [
      String(p.tasks),
      mebibytes(p.memory.rssKiB),
      mebibytes(p.memory.hwmKiB),
      `${mib(p.heap.usedBytes)} / ${mib(p.heap.totalBytes)}`,
      mib(p.heap.externalBytes),
      p.convergedMs === undefined ? "–" : seconds(p.convergedMs),
      String(p.cache.objects),
      `${mib(p.cache.jsonBytes)} (${mib(p.cache.managedFieldsBytes)})`,
    ]),
  );
}
