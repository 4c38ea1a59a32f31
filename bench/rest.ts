import { type ClusterClient, clientFromKubeconfigFile } from "@agentyard/kube-runtime";
import { taskPath } from "../api/resources.ts";
import { ApiClient } from "../cli/client/api.ts";
import { ApiProcess } from "./api-process.ts";
import type { ResidentMemory } from "./memory-status.ts";
import { sumSamples } from "./metrics-text.ts";
import { type Latencies, latencies } from "./stats.ts";
import { markdownTable, mebibytes, milliseconds, perSecond, ratio } from "./table.ts";
import { inParallel, log, taskManifest, tenantWorld } from "./world.ts";

/** One way of creating `requests` AgentTasks with `concurrency` requests in flight. */
export interface CreateRun {
  requests: number;
  concurrency: number;
  elapsedMs: number;
  latency: Latencies;
}

export interface RestPoint {
  concurrency: number;
  /** AgentTask creates sent to the API server by the same user, directly. */
  raw: CreateRun;
  /** POST /schedule to the api, which creates each AgentTask as that user. */
  schedule: CreateRun;
  /** The requests the api made of the API server during the POST /schedule run, per call. */
  kubeRequestsPerCall: number;
}

export interface RestResult {
  points: RestPoint[];
  /** The api process before the first request and after the last. */
  api: { idle: ResidentMemory; after: ResidentMemory };
}

export const REST_ORG = "rest";
const USER = "alice";

const kubeRequests = async (api: ApiProcess) =>
  sumSamples(await api.metrics(), "agentyard_api_kube_requests_total");

const rateOf = (run: CreateRun) => run.requests / (run.elapsedMs / 1000);

async function timed(
  requests: number,
  concurrency: number,
  send: (i: number) => Promise<void>,
): Promise<CreateRun> {
  const samples: number[] = [];
  const started = performance.now();
  await inParallel(requests, concurrency, async (i) => {
    const t0 = performance.now();
    await send(i);
    samples.push(performance.now() - t0);
  });
  return { requests, concurrency, elapsedMs: performance.now() - started, latency: latencies(samples) };
}

/**
 * POST /schedule against raw AgentTask creates, at each concurrency, on one devcluster: the same
 * user (a token the API server knows, with the rights a tenant is given) sends `requests` of each,
 * raw first. No operator runs: the tasks stay Pending, and the API server's work is the creates
 * and what the api asks of it for each (the Org and the create, as the caller, each after a
 * SubjectAccessReview the api keeps once allowed).
 */
export async function runRest(requests: number, concurrencies: readonly number[]): Promise<RestResult> {
  const world = await tenantWorld("rest", REST_ORG, USER, ["create", "get", "list"]);
  const { namespace, token } = world;
  try {
    const asUser: ClusterClient = clientFromKubeconfigFile(world.cluster.kubeconfigPath(USER), USER, {
      userAgent: "agentyard-bench",
    });
    // The limits that keep one caller from crowding out others would bound the figure instead of the api.
    const api = await ApiProcess.spawn(world.cluster, [
      `--rate-limit=${requests * concurrencies.length * 10}`,
    ]);
    try {
      await api.ready();
      const idle = await api.memory();
      const client = new ApiClient({ url: api.url, token });
      const points: RestPoint[] = [];
      for (const concurrency of concurrencies) {
        log(`rest: ${requests} raw creates, ${concurrency} in flight`);
        const raw = await timed(requests, concurrency, async (i) => {
          await asUser.request("POST", taskPath(namespace), {
            body: taskManifest(`raw-${concurrency}-${i}`, namespace, REST_ORG),
          });
        });
        log(`rest: ${requests} POST /schedule, ${concurrency} in flight`);
        const before = await kubeRequests(api);
        const schedule = await timed(requests, concurrency, async () => {
          await client.request("POST", "/schedule", { org: REST_ORG, task: "x" });
        });
        const kubeRequestsPerCall = ((await kubeRequests(api)) - before) / requests;
        points.push({ concurrency, raw, schedule, kubeRequestsPerCall });
      }
      return { points, api: { idle, after: await api.memory() } };
    } finally {
      await api.stop();
    }
  } finally {
    await world.cluster.stop();
  }
}

export function restTable(result: RestResult): string {
  const cells = (run: CreateRun) => [
    perSecond(rateOf(run)),
    milliseconds(run.latency.p50),
    milliseconds(run.latency.p99),
  ];
  return markdownTable(
    [
      "in flight",
      "raw AgentTask creates",
      "p50",
      "p99",
      "POST /schedule",
      "p50",
      "p99",
      "POST /schedule ÷ raw",
      "the api's requests to the API server per call",
    ],
    result.points.map((p) => [
      String(p.concurrency),
      ...cells(p.raw),
      ...cells(p.schedule),
      ratio(rateOf(p.schedule), rateOf(p.raw)),
      p.kubeRequestsPerCall.toFixed(2),
    ]),
  );
}

export function restNotes(result: RestResult): string[] {
  const requests = result.points[0]?.raw.requests ?? 0;
  return [
    `${requests} requests of each kind at each concurrency, by one user (a static token of the devcluster, bound to a tenant's rights: get the Org, create agenttasks in its namespace). Raw: the AgentTask create sent to the API server directly. POST /schedule: \`agentyard api\` as a process of its own (its ServiceAccount, api/rbac.yaml, token authentication), which reads the Org as the caller (kept 10 s for that caller, so only the first call of a run reads it) and creates the task as the caller, each after a SubjectAccessReview that it keeps for 10 s once allowed (so only the first calls ask); its per-caller rate limit is raised for the run. Its requests to the API server are counted from its own metrics (agentyard_api_kube_requests_total). No operator runs. Latency: each request from send to answer.`,
    `The api process: ${mebibytes(result.api.idle.rssKiB)} RSS idle, ${mebibytes(result.api.after.rssKiB)} after the last request (peak ${mebibytes(result.api.after.hwmKiB)}).`,
  ];
}
