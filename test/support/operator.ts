import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import pino from "pino";
import { type ClusterOptions, DevCluster, type KubectlResult, runKubectl } from "../../devcluster/cluster.ts";
import { installCrds } from "../../devcluster/crds.ts";
import { waitFor } from "../../devcluster/http.ts";
import { kubeconfigYaml } from "../../devcluster/kubeconfig.ts";
import {
  defaultOperatorOptions,
  type OperatorOptions,
  type RunningOperator,
  runOperator,
} from "../../operator/main.ts";
import { countTasks } from "../../operator/status/org-status.ts";
import { tasksInOrg } from "../../operator/tenancy.ts";
import { orgManifest } from "../../schema/fixtures.test-support.ts";
import type { AgentTask, Condition, Org } from "../../schema/index.ts";

/**
 * A cluster of its own with the CRDs, for suites that run an operator: two operators on one cluster
 * would reconcile each other's objects.
 */
export async function clusterWithCrds(
  name: string,
  options: Omit<ClusterOptions, "name"> = {},
): Promise<DevCluster> {
  const cluster = await DevCluster.start({ ...options, name });
  try {
    await installCrds((args, options) => cluster.kubectl(args, options));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

export function startTestOperator(
  cluster: DevCluster,
  overrides: Partial<OperatorOptions> = {},
): Promise<RunningOperator> {
  return runOperator({
    ...defaultOperatorOptions(),
    kubeconfig: cluster.kubeconfigPath(),
    leaderElection: false,
    metricsAddress: "127.0.0.1:0",
    resyncMs: 30_000,
    // Where the suites keep kubeconfig Secrets (orgWithKubeconfig).
    secretNamespaces: ["capi"],
    log: pino({ level: process.env.AGENTYARD_TEST_LOG ?? "silent" }),
    ...overrides,
  });
}

export async function applyManifest(cluster: DevCluster, obj: unknown): Promise<void> {
  const r = await cluster.kubectl(["apply", "-f", "-"], { input: JSON.stringify(obj) });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

export async function getJson<T>(cluster: DevCluster, args: string[]): Promise<T | undefined> {
  const r = await cluster.kubectl(["get", ...args, "-o", "json"]);
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(`kubectl get ${args.join(" ")} failed: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as T;
}

export function getTask(
  cluster: DevCluster,
  namespace: string,
  name: string,
): Promise<AgentTask | undefined> {
  return getJson<AgentTask>(cluster, ["agenttask", name, "-n", namespace]);
}

export function getOrg(cluster: DevCluster, name: string): Promise<Org | undefined> {
  return getJson<Org>(cluster, ["org", name]);
}

export const condition = (obj: { status?: { conditions?: Condition[] } } | undefined, type: string) =>
  obj?.status?.conditions?.find((c) => c.type === type);

/** An Org whose agents run in the cluster of `kubeconfig`, held in a Secret of the same name in `capi`. */
export async function orgWithKubeconfig(
  cluster: DevCluster,
  name: string,
  kubeconfig: string,
): Promise<void> {
  await applyManifest(cluster, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "capi" },
    stringData: { value: kubeconfig },
  });
  await applyManifest(
    cluster,
    orgManifest(name, { cluster: { kubeconfigSecretRef: { name, namespace: "capi" } } }),
  );
}

/** The Org once its Ready condition has the reason. */
export function orgWhenReadyReason(
  cluster: DevCluster,
  name: string,
  reason: string,
  timeoutMs = 30_000,
): Promise<Org> {
  return waitFor(
    `Org ${name} to report ${reason}`,
    async () => {
      const org = await getOrg(cluster, name);
      const ready = condition(org, "Ready");
      if (ready?.reason === reason) return org;
      // waitFor's timeout names the last error: where the Org stood.
      throw new Error(ready ? `Ready is ${ready.reason}: ${ready.message}` : "no Ready condition yet");
    },
    { timeoutMs },
  );
}

/** Waits until the task satisfies `check`; the timeout message shows where it stood. */
export async function waitForTask(
  cluster: DevCluster,
  namespace: string,
  name: string,
  what: string,
  check: (t: AgentTask) => boolean,
  timeoutMs = 30_000,
): Promise<AgentTask> {
  let last: AgentTask | undefined;
  try {
    return await waitFor(
      `task ${namespace}/${name} ${what}`,
      async () => {
        last = await getTask(cluster, namespace, name);
        return last && check(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`);
  }
}

export const phaseIs =
  (...phases: string[]) =>
  (t: AgentTask) =>
    phases.includes(t.status?.phase ?? "");

/** Writes the task's state ConfigMap as its agent would: with a token of the agent's own ServiceAccount. */
export async function writeAgentState(
  cluster: DevCluster,
  namespace: string,
  task: string,
  data: Record<string, string>,
): Promise<KubectlResult> {
  const token = await cluster.kubectl([
    "create",
    "token",
    `${task}-agent`,
    "-n",
    namespace,
    "--duration=10m",
  ]);
  if (token.code !== 0) throw new Error(`TokenRequest failed: ${token.stderr}`);
  return asToken(cluster, token.stdout.trim(), [
    "patch",
    "configmap",
    `${task}-state`,
    "-n",
    namespace,
    "--type=merge",
    "-p",
    JSON.stringify({ data }),
  ]);
}

/** Runs kubectl with a bearer token, as a ServiceAccount would. */
export async function asToken(cluster: DevCluster, token: string, args: string[]): Promise<KubectlResult> {
  const info = cluster.info();
  const dir = await mkdtemp(join(tmpdir(), "agentyard-token-"));
  const file = join(dir, "kubeconfig");
  try {
    await writeFile(
      file,
      kubeconfigYaml({ name: info.name, server: info.server, ca: info.ca, user: "agent", token }),
    );
    return await runKubectl(info.kubectlPath, file, args);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Waits until every Org's counts match its tasks. A world is unchanged only once the operator has
 * nothing left to write, and an Org's counts follow its tasks a moment late (ORG_COUNTS_DELAY_MS):
 * a restart within that moment finds them to write.
 */
export async function waitForOrgCounts(cluster: DevCluster, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    "every Org's counts to match its tasks",
    async () => {
      const orgs = await getJson<{ items: Org[] }>(cluster, ["orgs"]);
      const all = (await getJson<{ items: AgentTask[] }>(cluster, ["agenttasks", "-A"]))?.items ?? [];
      const current = orgs?.items.every((o) =>
        isDeepStrictEqual(
          o.status?.tasks,
          countTasks(
            tasksInOrg(
              all.filter((t) => t.spec.org === o.metadata.name),
              o,
            ),
          ),
        ),
      );
      return current ? true : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}
