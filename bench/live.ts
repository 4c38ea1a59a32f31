import { Informer } from "@agentyard/kube-runtime";
import { taskPath } from "../api/resources.ts";
import { ApiClient } from "../cli/client/api.ts";
import { waitFor } from "../devcluster/http.ts";
import { ApiProcess } from "./api-process.ts";
import type { ResidentMemory } from "./memory-status.ts";
import { type Latencies, latencies } from "./stats.ts";
import { markdownTable, mebibytes, milliseconds } from "./table.ts";
import { log, TASKS, type Task, taskManifest, tenantWorld } from "./world.ts";

export interface LiveResult {
  clients: number;
  writes: number;
  /** From the start of each status write until each SSE client received it. */
  sse: Latencies;
  /** From the start of each status write until a watch of the benchmark's own, on the API server, saw it. */
  watch: Latencies;
  /** The api process: idle, with every client's stream synced, and after the writes. */
  api: { idle: ResidentMemory; streaming: ResidentMemory; after: ResidentMemory };
}

const ORG = "live";
const USER = "alice";
const TASK = "watched";
const MARK = "bench-";

/** The write number a task's status carries, if any. */
export function markOf(task: Partial<Task> | undefined): number | undefined {
  const message = task?.status?.message;
  return message?.startsWith(MARK) ? Number(message.slice(MARK.length)) : undefined;
}

/** Records, per write number, when each receiver first saw it. */
class Arrivals {
  private readonly at = new Map<number, Map<string, number>>();

  see(write: number | undefined, receiver: string): void {
    if (write === undefined) return;
    const seen = this.at.get(write) ?? new Map<string, number>();
    if (!seen.has(receiver)) seen.set(receiver, performance.now());
    this.at.set(write, seen);
  }

  count(write: number): number {
    return this.at.get(write)?.size ?? 0;
  }

  delays(write: number, since: number, receivers: (r: string) => boolean): number[] {
    return [...(this.at.get(write) ?? [])].filter(([r]) => receivers(r)).map(([, t]) => t - since);
  }
}

/**
 * `clients` SSE streams (GET /api/v1/events?org=…) held open on the api by one user, and one
 * AgentTask whose status the benchmark writes `writes` times, one write after the previous one
 * reached every client. A watch of the benchmark's own on the API server is the baseline. No
 * operator runs: the benchmark's writes are the only changes.
 */
export async function runLive(clients: number, writes: number): Promise<LiveResult> {
  const world = await tenantWorld("live", ORG, USER, ["get", "list", "watch"]);
  const { namespace, token } = world;
  try {
    await world.client.request("POST", taskPath(namespace), { body: taskManifest(TASK, namespace, ORG) });
    const api = await ApiProcess.spawn(world.cluster, [`--max-streams-per-caller=${clients}`]);
    const stop = new AbortController();
    const arrivals = new Arrivals();
    const synced = new Set<number>();
    const direct = new Informer<Task>(world.client, TASKS, { namespace });
    direct.on((_type, task) => arrivals.see(markOf(task), "watch"));
    try {
      await api.ready();
      await direct.start();
      const idle = await api.memory();
      const client = new ApiClient({ url: api.url, token });
      const streams = Array.from({ length: clients }, async (_, c) => {
        for await (const message of client.events(`/api/v1/events?org=${ORG}`, { signal: stop.signal })) {
          const data = JSON.parse(message.data) as { kind?: string; object?: Task };
          if (message.event === "synced" && data.kind === "task") synced.add(c);
          if (message.event === "task") arrivals.see(markOf(data.object), `sse-${c}`);
        }
      });
      const broken = Promise.race(streams).then(
        () => "a stream ended",
        (err: Error) => err.message,
      );
      const failed = async () => Promise.race([broken, Promise.resolve(undefined)]);
      log(`live: ${clients} event streams`);
      await waitFor(`${clients} streams synced`, async () => (synced.size === clients ? true : undefined), {
        timeoutMs: 120_000,
        intervalMs: 20,
        abort: failed,
      });
      const streaming = await api.memory();
      const sse: number[] = [];
      const watch: number[] = [];
      log(`live: ${writes} status writes`);
      for (let w = 0; w < writes; w++) {
        const since = performance.now();
        await world.client.request("PATCH", taskPath(namespace, TASK, "status"), {
          body: { status: { message: `${MARK}${w}` } },
          contentType: "application/merge-patch+json",
        });
        await waitFor(
          `write ${w} at ${clients} streams and the watch`,
          async () => (arrivals.count(w) === clients + 1 ? true : undefined),
          { timeoutMs: 30_000, intervalMs: 5, abort: failed },
        );
        sse.push(...arrivals.delays(w, since, (r) => r.startsWith("sse-")));
        watch.push(...arrivals.delays(w, since, (r) => r === "watch"));
      }
      return {
        clients,
        writes,
        sse: latencies(sse),
        watch: latencies(watch),
        api: { idle, streaming, after: await api.memory() },
      };
    } finally {
      stop.abort();
      direct.stop();
      await api.stop();
    }
  } finally {
    await world.cluster.stop();
  }
}

export function liveTable(r: LiveResult): string {
  const row = (what: string, l: Latencies) => [
    what,
    milliseconds(l.p50),
    milliseconds(l.p95),
    milliseconds(l.p99),
    milliseconds(l.max),
  ];
  return markdownTable(
    ["from a status write to", "p50", "p95", "p99", "max"],
    [
      row(`each of ${r.clients} SSE clients of the api`, r.sse),
      row("a watch on the API server (baseline)", r.watch),
    ],
  );
}

export function liveNotes(r: LiveResult): string[] {
  return [
    `${r.writes} status writes of one AgentTask (a merge patch of status.message), each after the previous one reached every receiver; ${r.clients} streams of \`GET /api/v1/events?org=\` held by one user (a tenant's rights; the api's per-caller stream limit raised to ${r.clients}), each a fetch in the benchmark process, against the benchmark's own watch on the API server. Latency: from the start of the write to the event's arrival in the benchmark process; the api, the API server and the benchmark share the machine's cores.`,
    `The api process (\`agentyard api\`, its ServiceAccount, token authentication): ${mebibytes(r.api.idle.rssKiB)} RSS idle, ${mebibytes(r.api.streaming.rssKiB)} with ${r.clients} streams synced, ${mebibytes(r.api.after.rssKiB)} after the writes (peak ${mebibytes(r.api.after.hwmKiB)}). Each stream holds two watches of its own on the API server, made as the caller.`,
  ];
}
