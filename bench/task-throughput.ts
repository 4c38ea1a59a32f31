/**
 * How fast the operator turns AgentTasks into running agents, against the raw API server's own create
 * rate measured in the same run on the same cluster. Run: `npm run bench` (N tasks, default 100:
 * `npm run bench -- 200`). Writes the result to docs/benchmarks.md.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { clientFromKubeconfigFile } from "@agentyard/kube-runtime";
import pino from "pino";
import { countWrites } from "../devcluster/audit.ts";
import { DevCluster } from "../devcluster/cluster.ts";
import { installCrds } from "../devcluster/crds.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import { defaultOperatorOptions, runOperator } from "../operator/main.ts";

const N = Number.parseInt(process.argv[2] ?? "100", 10);
const CONCURRENCY = 10;
const log = (line: string) => process.stderr.write(`${line}\n`);

async function inParallel(count: number, work: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await work(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

// A kwok node offers 32 CPUs and an agent pod asks for 350m: give every 50 tasks a node, so that the
// scheduler is never what the benchmark measures.
const cluster = await DevCluster.start({ name: "bench", nodes: Math.ceil(N / 50), log });
try {
  await installCrds((args, options) => cluster.kubectl(args, options));
  const client = clientFromKubeconfigFile(cluster.kubeconfigPath(), "bench");
  await cluster.kubectl(["create", "namespace", "baseline"]);

  log(`[bench] baseline: creating ${N} ConfigMaps, ${CONCURRENCY} at a time`);
  const baselineS = await inParallel(N, (i) =>
    client.request("POST", "/api/v1/namespaces/baseline/configmaps", {
      body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${i}` }, data: { prompt: "x" } },
    }),
  );

  const operator = await runOperator({
    ...defaultOperatorOptions(),
    kubeconfig: cluster.kubeconfigPath(),
    leaderElection: false,
    metricsAddress: "127.0.0.1:0",
    log: pino({ level: "silent" }),
  });
  const org = {
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "Org",
    metadata: { name: "bench" },
    spec: { limits: { maxConcurrentTasks: 1000 } },
  };
  await client.request("POST", "/apis/agentyard.dev/v1alpha1/orgs", { body: org });
  await waitFor("the bench Org's namespace", async () =>
    (await cluster.kubectl(["get", "ns", "org-bench"])).code === 0 ? true : undefined,
  );
  const writesBefore = await countWrites(cluster.auditLog, "admin");
  const rssBefore = process.memoryUsage().rss;

  log(`[bench] operator: creating ${N} AgentTasks, ${CONCURRENCY} at a time, until all are Running`);
  const started = performance.now();
  const createS = await inParallel(N, (i) =>
    client.request("POST", "/apis/agentyard.dev/v1alpha1/namespaces/org-bench/agenttasks", {
      body: {
        apiVersion: "agentyard.dev/v1alpha1",
        kind: "AgentTask",
        metadata: { name: `t-${i}` },
        spec: { org: "bench", prompt: "x" },
      },
    }),
  );
  await waitFor(
    `${N} tasks Running`,
    async () => {
      const list = await client.request<{ items: { status?: { phase?: string } }[] }>(
        "GET",
        "/apis/agentyard.dev/v1alpha1/namespaces/org-bench/agenttasks",
      );
      return list.items.filter((t) => t.status?.phase === "Running").length === N ? true : undefined;
    },
    { timeoutMs: 15 * 60_000, intervalMs: 250 },
  );
  const runningS = (performance.now() - started) / 1000;
  const operatorWrites = (await countWrites(cluster.auditLog, "admin")) - writesBefore - N;
  const rssAfter = process.memoryUsage().rss;
  await operator.stop();

  const rawRate = N / baselineS;
  const taskRate = N / runningS;
  const result = [
    `## AgentTasks to Running (${new Date().toISOString().slice(0, 10)}, N=${N})`,
    "",
    `Command: \`npm run bench -- ${N}\` (bench/task-throughput.ts), 2 cores, one devcluster (kube-apiserver v1.36.3, kwok nodes).`,
    "",
    "| measure | value |",
    "| --- | --- |",
    `| baseline: raw API server creates (ConfigMaps, ${CONCURRENCY} in flight) | ${rawRate.toFixed(1)}/s (${baselineS.toFixed(2)} s for ${N}) |`,
    `| AgentTask creates (same client, same concurrency) | ${(N / createS).toFixed(1)}/s |`,
    `| AgentTasks from create to Running (Deployment, Service, ConfigMap, Secret, RBAC, pod Running, status) | ${taskRate.toFixed(1)}/s (${runningS.toFixed(2)} s for ${N}) |`,
    `| **ratio: tasks to Running per second / raw creates per second** | **${(taskRate / rawRate).toFixed(3)}** |`,
    `| operator writes per task (audit log) | ${(operatorWrites / N).toFixed(1)} |`,
    `| memory of the process running the operator, growth during the run | ${((rssAfter - rssBefore) / 1024 / 1024).toFixed(0)} MiB (RSS ${(rssAfter / 1024 / 1024).toFixed(0)} MiB) |`,
    "",
  ].join("\n");
  process.stdout.write(`${result}\n`);
  const file = join(projectRoot, "docs", "benchmarks.md");
  const header =
    "# Benchmarks\n\nEach benchmark measures its baseline in the same run and reports ratios against it. Newest first.\n\n";
  const previous = (await readFile(file, "utf8").catch(() => header)).replace(header, "");
  await writeFile(file, `${header}${result}\n${previous}`);
} finally {
  await cluster.stop();
}
