import { taskPath } from "../api/resources.ts";
import { waitFor } from "../devcluster/http.ts";
import { LABEL_WARM_MEMBER } from "../schema/contract/index.ts";
import { API_VERSION, type Org } from "../schema/index.ts";
import { OperatorProcess } from "./operator-process.ts";
import { type Latencies, latencies } from "./stats.ts";
import { markdownTable, ratio, seconds } from "./table.ts";
import {
  type BenchWorld,
  benchWorld,
  createOrg,
  FirstSeen,
  inParallel,
  log,
  TASKS,
  type Task,
  taskManifest,
} from "./world.ts";

/** One burst: `size` tasks created at once, each timed from its create until it reported Running. */
export interface WarmBurst {
  label: string;
  samples: number[];
  latencies: Latencies;
  /** Tasks that ran in a member of the pool, not in a pod of their own. */
  bound: number;
}

export interface WarmPoolResult {
  size: number;
  cold: WarmBurst;
  warm: WarmBurst;
  /** From the Org's create until its pool reported every member ready. */
  fillMs: number;
}

const WARM_UP_TASKS = 10;

/** The target of spec.warmPool: a burst the size of the pool reaches Running this fast at p99. */
export const WARM_P99_TARGET_MS = 1_000;

const org = (name: string, warmPool?: number) => ({
  apiVersion: API_VERSION,
  kind: "Org",
  metadata: { name },
  spec: {
    agent: { image: "agents/bench:1", workload: "Pod" },
    limits: { maxConcurrentTasks: 1000 },
    ...(warmPool ? { warmPool: { size: warmPool } } : {}),
  },
});

async function burst(world: BenchWorld, label: string, orgName: string, size: number): Promise<WarmBurst> {
  const namespace = `org-${orgName}`;
  const seen = new FirstSeen<Task>(
    world.client,
    TASKS,
    (t) => (t.metadata.namespace === namespace ? t.metadata.name : undefined),
    (t) => t.status?.phase === "Running",
  );
  await seen.start();
  try {
    log(`${label}: ${size} tasks at once`);
    const startedAt = new Map<string, number>();
    await inParallel(size, size, async (i) => {
      startedAt.set(`t-${i}`, performance.now());
      await world.client.request("POST", taskPath(namespace), {
        body: taskManifest(`t-${i}`, namespace, orgName),
      });
    });
    await seen.all(size, `${label} Running`, 180_000);
    const samples = [...startedAt].map(([key, at]) => (seen.at.get(key) as number) - at);
    const pods = await world.client.request<{ items: { metadata: { labels?: Record<string, string> } }[] }>(
      "GET",
      `/api/v1/namespaces/${namespace}/pods`,
      { query: { labelSelector: "agentyard.dev/task" } },
    );
    const bound = pods.items.filter((p) => p.metadata.labels?.[LABEL_WARM_MEMBER] !== undefined).length;
    return { label, samples, latencies: latencies(samples), bound };
  } finally {
    seen.stop();
  }
}

/**
 * The warm pool against the cold path, by one operator process on kwok nodes: after a warm-up
 * burst, a burst of `size` tasks in an Org of bare Pods without a pool (the baseline), then a burst
 * of `size` in an Org whose pool of `size` is full. Kwok runs no containers: a member is Running as soon as it is scheduled,
 * and a bound task as soon as the operator reports it.
 */
export async function runWarmPool(size: number): Promise<WarmPoolResult> {
  const world = await benchWorld(`warm-pool-${size}`, 3 * size + WARM_UP_TASKS);
  try {
    const operator = await OperatorProcess.spawn(world.cluster, "bench-warm");
    try {
      await operator.leading();
      // The process's first reconciles compile its code: a burst before both makes neither pay for it.
      await createOrg(world, org("warmup"));
      await burst(world, "warm-up: not measured", "warmup", WARM_UP_TASKS);
      await createOrg(world, org("cold"));
      const cold = await burst(world, "cold: Org without a pool", "cold", size);
      const filling = performance.now();
      await createOrg(world, org("warm", size));
      await waitFor(
        `the warm pool of ${size} to be ready`,
        async () => {
          const o = await world.client.request<Org>("GET", "/apis/agentyard.dev/v1alpha1/orgs/warm");
          return (o.status?.warmPool?.ready ?? 0) >= size ? true : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 100 },
      );
      const fillMs = performance.now() - filling;
      const warm = await burst(world, `warm: Org with a full pool of ${size}`, "warm", size);
      return { size, cold, warm, fillMs };
    } finally {
      await operator.stop();
    }
  } finally {
    await world.cluster.stop();
  }
}

export function warmPoolTable(result: WarmPoolResult): string {
  const row = (b: WarmBurst) => [
    b.label,
    String(b.samples.length),
    String(b.bound),
    seconds(b.latencies.p50),
    seconds(b.latencies.p99),
    seconds(b.latencies.max),
    ratio(result.cold.latencies.p99, b.latencies.p99),
  ];
  return markdownTable(
    ["Burst", "Tasks", "In a pool member", "p50 to Running", "p99 to Running", "max", "p99 speed-up"],
    [row(result.cold), row(result.warm)],
  );
}

export function warmPoolNotes(result: WarmPoolResult): string[] {
  const p99 = result.warm.latencies.p99;
  const met = p99 <= WARM_P99_TARGET_MS;
  return [
    `Each task is timed from the start of its create until the operator's first status with phase Running, as a watch sees it. Both bursts run in one operator process (after a warm-up burst of ${WARM_UP_TASKS} tasks, not measured), on kwok nodes (no containers: a pod is Running once scheduled), each Org of spec.agent.workload Pod; all tasks of a burst are created at once.`,
    `The pool of ${result.size} was ready ${seconds(result.fillMs)} after its Org was created.`,
    `Target: p99 ≤ ${seconds(WARM_P99_TARGET_MS)} with a warm pool for a burst the size of the pool: ${met ? "met" : "not met"} (${seconds(p99)}).`,
  ];
}
