import {
  type ClusterClient,
  clientFromKubeconfigFile,
  Informer,
  type ResourceType,
} from "@agentyard/kube-runtime";
import { createOrg as createTenantOrg, grant } from "../devcluster/api-access.ts";
import { DevCluster, type TestUser } from "../devcluster/cluster.ts";
import { installCrds } from "../devcluster/crds.ts";
import { waitFor } from "../devcluster/http.ts";
import {
  AGENT_TASK_KIND,
  AGENT_TASK_PLURAL,
  type AgentTask,
  type AgentWorkload,
  API_VERSION,
} from "../schema/index.ts";
import { LEASE_NAMESPACE } from "./operator-process.ts";

export const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** An agent pod asks for 350m (agent and editor); a kwok node offers 32 CPUs, 110 pods. */
const PODS_PER_NODE = 80;

export interface BenchWorld {
  cluster: DevCluster;
  /** The benchmark's own client: its writes are the "client" column of a table. */
  client: ClusterClient;
}

/**
 * A devcluster for one benchmark, with nodes for `pods` agent pods, the control plane's writes in
 * the audit log, the CRDs, and the operator's Lease namespace.
 */
export async function benchWorld(name: string, pods: number): Promise<BenchWorld> {
  const cluster = await DevCluster.start({
    name,
    nodes: Math.max(1, Math.ceil(pods / PODS_PER_NODE)),
    auditControlPlane: true,
    nodeMonitorGracePeriod: "10m",
    log: (line) => log(line),
  });
  try {
    await installCrds((args, options) => cluster.kubectl(args, options));
    const client = clientFromKubeconfigFile(cluster.kubeconfigPath(), "bench", {
      userAgent: "agentyard-bench",
    });
    await createNamespace(client, LEASE_NAMESPACE);
    return { cluster, client };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** A benchmark's world with one tenant: an Org and its namespace (no operator), and a user granted `verbs` on its tasks. */
export interface TenantWorld extends BenchWorld {
  namespace: string;
  /** The user's bearer token, which the API server knows. */
  token: string;
}

export async function tenantWorld(
  name: string,
  org: string,
  user: TestUser,
  verbs: string[],
): Promise<TenantWorld> {
  const world = await benchWorld(name, 0);
  try {
    const kubectl = world.cluster.kubectl.bind(world.cluster);
    const namespace = await createTenantOrg(kubectl, org);
    await grant(kubectl, { kind: "User", name: user }, org, namespace, verbs);
    return { ...world, namespace, token: world.cluster.info().tokens[user] };
  } catch (err) {
    await world.cluster.stop();
    throw err;
  }
}

export async function createNamespace(client: ClusterClient, name: string): Promise<void> {
  await client.request("POST", "/api/v1/namespaces", {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
}

/** Runs work(0..count-1) with `concurrency` calls in flight. */
export async function inParallel(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** The Orgs that hold `tasks` tasks, all running at once: an Org runs at most 1,000. */
export function benchOrgs(prefix: string, tasks: number, workload: AgentWorkload = "Deployment") {
  const count = Math.max(1, Math.ceil(tasks / 1000));
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: API_VERSION,
    kind: "Org",
    metadata: { name: count === 1 ? prefix : `${prefix}-${i}` },
    spec: {
      agent: { image: "agents/bench:1", workload },
      limits: { maxConcurrentTasks: Math.min(1000, tasks) },
    },
  }));
}

/** Creates an Org and waits until the operator has made its namespace. */
export async function createOrg(world: BenchWorld, org: { metadata: { name: string } }): Promise<string> {
  await world.client.request("POST", "/apis/agentyard.dev/v1alpha1/orgs", { body: org });
  const namespace = `org-${org.metadata.name}`;
  await waitFor(
    `the namespace of Org ${org.metadata.name}`,
    async () =>
      (await world.client.request("GET", `/api/v1/namespaces/${namespace}`).catch(() => undefined))
        ? true
        : undefined,
    { timeoutMs: 120_000 },
  );
  return namespace;
}

export function taskManifest(name: string, namespace: string, org: string) {
  return {
    apiVersion: API_VERSION,
    kind: AGENT_TASK_KIND,
    metadata: { name, namespace },
    spec: { org, prompt: "x" },
  };
}

export const TASKS: ResourceType = {
  apiVersion: API_VERSION,
  kind: AGENT_TASK_KIND,
  plural: AGENT_TASK_PLURAL,
  namespaced: true,
};
export const PODS: ResourceType = { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true };

export type Task = AgentTask & { metadata: { name: string; namespace: string } };

/** The fields of a pod the benchmarks read. */
export interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * Watches a collection and records, per key, the moment (performance.now()) an object first meets
 * `reached`: the time an AgentTask first reports Running, or a pod first runs.
 */
export class FirstSeen<T extends { metadata: { name?: string; namespace?: string } }> {
  readonly at = new Map<string, number>();
  private readonly informer: Informer<T>;
  private readonly keyOf: (obj: T) => string | undefined;
  private readonly reached: (obj: T) => boolean;

  constructor(
    client: ClusterClient,
    resource: ResourceType,
    keyOf: (obj: T) => string | undefined,
    reached: (obj: T) => boolean,
    options: { namespace?: string; labelSelector?: string } = {},
  ) {
    this.keyOf = keyOf;
    this.reached = reached;
    this.informer = new Informer(client, resource, options);
    this.informer.on((type, obj) => {
      if (type !== "DELETED") this.see(obj);
    });
  }

  async start(): Promise<void> {
    await this.informer.start();
    for (const obj of this.informer.list()) this.see(obj);
  }

  stop(): void {
    this.informer.stop();
  }

  /** Resolves once `count` keys have been seen to reach the state. */
  async all(count: number, what: string, timeoutMs: number): Promise<void> {
    await waitFor(`${count} ${what}`, async () => (this.at.size >= count ? true : undefined), {
      timeoutMs,
      intervalMs: 50,
    });
  }

  private see(obj: T): void {
    const key = this.keyOf(obj);
    if (key !== undefined && !this.at.has(key) && this.reached(obj)) this.at.set(key, performance.now());
  }
}
