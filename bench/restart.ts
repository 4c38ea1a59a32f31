import { isWrite, readAuditLog } from "../devcluster/audit.ts";
import { operatorBurst } from "./burst.ts";
import { OperatorProcess } from "./operator-process.ts";
import { markdownTable, seconds } from "./table.ts";
import { benchWorld, log } from "./world.ts";
import { writeKinds } from "./writes.ts";

/** How long the restarted operator is watched for writes once its caches synced. */
export const RESTART_WINDOW_MS = 30_000;

export interface RestartResult {
  count: number;
  /** What the tasks were doing: Running with their pods, or Starting with no pods made. */
  state: string;
  /** From the new process's spawn until /readyz answered: every informer has listed. */
  syncedMs: number;
  /** From the new process's spawn until it held the Lease and started its controllers. */
  leadingMs: number;
  /** AgentTask reconciles the new process ran in the window: it did look at every task. */
  reconciles: number;
  /** The new process's writes (Leases left out) from its spawn until the window after it led ends. */
  writes: number;
  /** What the writes were, for a reader to see why a figure is not 0. */
  writeKinds: Record<string, number>;
}

/**
 * Stops `operator` (SIGTERM) with the world unchanged and starts a new process, as a rollout does;
 * resolves with the new process, which the caller stops.
 */
export async function measureRestart(
  world: Parameters<typeof operatorBurst>[0],
  operator: OperatorProcess,
  count: number,
  identity: string,
  state = "Running",
): Promise<{ result: RestartResult; operator: OperatorProcess }> {
  log(`restart: stopping ${operator.identity} with ${count} tasks ${state}, starting ${identity}`);
  await operator.stop();
  const next = await OperatorProcess.spawn(world.cluster, identity);
  const syncedMs = await next.ready();
  const leadingMs = await next.leading();
  await new Promise((resolve) => setTimeout(resolve, RESTART_WINDOW_MS));
  const reconciles = await next.reconciles("agenttask");
  // All of the new process's writes, from its spawn on: it should make none before it synced either.
  const writes = (await readAuditLog(world.cluster.auditLog)).filter(
    (e) => e.userAgent === next.userAgent && isWrite(e) && e.objectRef?.resource !== "leases",
  );
  return {
    result: {
      count,
      state,
      syncedMs,
      leadingMs,
      reconciles,
      writes: writes.length,
      writeKinds: writeKinds(writes),
    },
    operator: next,
  };
}

/** Restart with `count` tasks Running on a devcluster of its own. */
export async function runRestart(count: number, concurrency: number): Promise<RestartResult> {
  const world = await benchWorld(`restart-${count}`, count);
  try {
    let operator = await OperatorProcess.spawn(world.cluster, "bench-1");
    try {
      await operator.ready();
      await operatorBurst(world, count, concurrency);
      const restarted = await measureRestart(world, operator, count, "bench-2");
      operator = restarted.operator;
      return restarted.result;
    } finally {
      await operator.stop();
    }
  } finally {
    await world.cluster.stop();
  }
}

export function restartTable(result: RestartResult): string {
  const kinds = Object.entries(result.writeKinds)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(", ");
  return markdownTable(
    [
      "tasks",
      "spawn → caches synced (/readyz)",
      "spawn → leading",
      `AgentTask reconciles in the ${RESTART_WINDOW_MS / 1000} s after`,
      "writes",
      "which",
    ],
    [
      [
        `${result.count} ${result.state}`,
        seconds(result.syncedMs),
        seconds(result.leadingMs),
        String(result.reconciles),
        String(result.writes),
        kinds || "none",
      ],
    ],
  );
}
