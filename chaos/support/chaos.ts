import { join } from "node:path";
import { type ClusterClient, clientFromKubeconfigFile, KubeError } from "@agentyard/kube-runtime";
import { type AuditEvent, writesByAgent } from "../../devcluster/audit.ts";
import type { DevCluster } from "../../devcluster/cluster.ts";
import { Component } from "../../devcluster/component.ts";
import { waitFor } from "../../devcluster/http.ts";
import { projectRoot } from "../../devcluster/paths.ts";
import { freePort } from "../../devcluster/ports.ts";
import { OPERATOR_IDENTITY } from "../../operator/identity.ts";
import { type AgentTask, API_VERSION } from "../../schema/index.ts";

/** The benchmarks' bounded concurrency, which the chaos suites load their clusters with too. */
export { inParallel } from "../../bench/world.ts";

/** What a scenario checked, on one line of the suite's output. */
export function summary(scenario: string, facts: Record<string, string | number>): void {
  const line = Object.entries(facts)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  process.stdout.write(`[chaos] ${scenario}: ${line}\n`);
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export interface OperatorProcess {
  readonly identity: string;
  readonly metricsUrl: string;
  readonly process: Component;
  /** Resolves when /readyz answers 200: every cache synced (and, with leader election, a leader or standby). */
  ready(timeoutMs?: number): Promise<void>;
  /** The sum of a counter or histogram count over the label sets that match `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

let started = 0;

/** The operator as its own process (`agentyard operator`), as it runs in a pod, so that it can be killed. */
export async function operatorProcess(
  cluster: DevCluster,
  options: { identity?: string; leaderElection?: boolean; flags?: string[] } = {},
): Promise<OperatorProcess> {
  const identity = options.identity ?? `operator-${++started}`;
  const port = await freePort();
  const component = new Component(
    identity,
    process.execPath,
    [
      join(projectRoot, "cli", "agentyard.ts"),
      "operator",
      `--kubeconfig=${cluster.kubeconfigPath()}`,
      `--identity=${identity}`,
      `--metrics-address=127.0.0.1:${port}`,
      "--log-level=warn",
      ...(options.leaderElection ? ["--lease-namespace=agentyard-system"] : ["--no-leader-election"]),
      ...(options.flags ?? []),
    ],
    join(cluster.dir, "logs", `${identity}.log`),
  );
  component.start();
  const metricsUrl = `http://127.0.0.1:${port}`;
  return {
    identity,
    metricsUrl,
    process: component,
    ready: async (timeoutMs = 60_000) => {
      await waitFor(
        `${identity} to be ready`,
        async () => ((await fetch(`${metricsUrl}/readyz`)).status === 200 ? true : undefined),
        {
          timeoutMs,
          intervalMs: 100,
          abort: async () =>
            component.running ? undefined : `${identity} exited:\n${await component.tail()}`,
        },
      );
    },
    metric: async (name, labels = {}) =>
      metricSum(await (await fetch(`${metricsUrl}/metrics`)).text(), name, labels),
  };
}

/** The sum of the samples of `name` whose labels include `labels`, in Prometheus text. */
export function metricSum(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-z_:]+)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[3] ?? "").matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]] as const),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[4]);
  }
  return total;
}

/** A client of the test's own, named so that the audit log tells its writes from the operator's. */
export function testClient(cluster: DevCluster): ClusterClient {
  return clientFromKubeconfigFile(cluster.kubeconfigPath(), "chaos", { userAgent: "agentyard-chaos" });
}

const TASKS = (namespace: string) => `/apis/${API_VERSION}/namespaces/${namespace}/agenttasks`;

/**
 * Creates one AgentTask as a careful client does: an error without an answer (the server went away)
 * is tried again, and AlreadyExists after such a retry means the first try got through.
 */
export async function createTask(
  client: ClusterClient,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.request("POST", TASKS(namespace), {
        body: { apiVersion: API_VERSION, kind: "AgentTask", metadata: { name, namespace }, spec },
      });
      return;
    } catch (err) {
      if (err instanceof KubeError && err.code === 409) return;
      const retriable = !(err instanceof KubeError) || err.code >= 500 || err.code === 429;
      if (!retriable || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Lists through the API server, tried again while it does not answer (it may be restarting). */
export async function list<T>(client: ClusterClient, path: string): Promise<T[]> {
  return waitFor(`GET ${path}`, async () => (await client.request<{ items: T[] }>("GET", path)).items, {
    timeoutMs: 120_000,
    intervalMs: 250,
  });
}

export const listTasks = (client: ClusterClient, namespace: string) =>
  list<AgentTask>(client, TASKS(namespace));

interface Labelled {
  metadata: { name?: string; labels?: Record<string, string> };
}

/** How many objects of `path` each task has, by the task label. */
export async function childrenPerTask(client: ClusterClient, path: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const o of await list<Labelled>(client, path)) {
    const task = o.metadata.labels?.["agentyard.dev/task"];
    if (task) counts.set(task, (counts.get(task) ?? 0) + 1);
  }
  return counts;
}

/** The tasks of `names` that do not have exactly one child in `counts`, with how many they have. */
export function notExactlyOne(names: string[], counts: Map<string, number>): string[] {
  return names.filter((n) => counts.get(n) !== 1).map((n) => `${n}:${counts.get(n) ?? 0}`);
}

/** The names among `names` created more than once, as `name:count`. */
export function createdMoreThanOnce(names: string[], counts: Map<string, number>): string[] {
  return names.filter((n) => (counts.get(n) ?? 0) > 1).map((n) => `${n}:${counts.get(n)}`);
}

/** Waits until every task of `namespace` in `names` is in `phase`; the error shows the phases seen. */
export async function waitForPhase(
  client: ClusterClient,
  namespace: string,
  names: string[],
  phase: string,
  timeoutMs: number,
): Promise<AgentTask[]> {
  const wanted = new Set(names);
  let seen = "";
  try {
    return await waitFor(
      `${names.length} tasks ${phase}`,
      async () => {
        const tasks = (await client.request<{ items: AgentTask[] }>("GET", TASKS(namespace))).items.filter(
          (t) => wanted.has(t.metadata.name as string),
        );
        const byPhase = new Map<string, number>();
        for (const t of tasks)
          byPhase.set(t.status?.phase ?? "none", (byPhase.get(t.status?.phase ?? "none") ?? 0) + 1);
        seen = [...byPhase].map(([p, n]) => `${p}=${n}`).join(" ");
        return tasks.length === names.length && tasks.every((t) => t.status?.phase === phase)
          ? tasks
          : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; phases: ${seen}`);
  }
}

/** The operator's writes in the audit log, by its User-Agent. */
export const operatorWrites = (cluster: DevCluster): Promise<AuditEvent[]> =>
  writesByAgent(cluster.auditLog, OPERATOR_IDENTITY.userAgent);

/** How many times the operator created each object of `resource` (server-side apply answers 201 for a create). */
export function createsPerName(writes: AuditEvent[], resource: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of writes) {
    if (e.objectRef?.resource !== resource || e.objectRef.subresource) continue;
    if (e.responseStatus?.code !== 201) continue;
    const name = e.objectRef.name ?? "";
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}
