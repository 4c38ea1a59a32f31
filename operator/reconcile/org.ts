import {
  apply,
  applyStatus,
  type ClusterClient,
  type EventRecorder,
  getIfExists,
  type Informer,
  needsApply,
  type ReconcileResult,
} from "@agentyard/kube-runtime";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  type AgentTask,
  API_VERSION,
  ORG_KIND,
  type Org,
  type OrgStatus,
  orgNamespace,
  PHASE_COUNT_KEY,
  TASK_PHASES,
  type TaskCounts,
} from "../../schema/index.ts";
import { type ClusterRegistry, ClusterUnreachable, type OrgCluster } from "../clusters.ts";
import { KubeconfigRefused } from "../kubeconfig-policy.ts";
import { BY_ORG } from "../quota.ts";
import { describeRemoteError } from "../remote-error.ts";
import type { KubeObject } from "../render/object.ts";
import { renderGitCredentialsCopy, renderOrg } from "../render/org.ts";
import { type ConditionInput, kstatus, mergeConditions } from "../status/conditions.ts";
import { sameStatus } from "./status-equal.ts";

export interface OrgReconcilerDeps {
  local: ClusterClient;
  orgs: Informer<Org>;
  tasks: Informer<AgentTask>;
  clusters: ClusterRegistry;
  events: EventRecorder;
  log: Logger;
  /** Tasks of an Org are woken when its cluster becomes usable or changes. */
  wakeTasks: (orgName: string) => void;
  now?: () => Date;
}

/** How often an Org is looked at again: its cluster's reachability and a rotated kubeconfig. */
export const ORG_RECHECK_MS = 60_000;
const UNREACHABLE_RECHECK_MS = 15_000;

/** The detail condition ClusterReachable, beside the kstatus three, for `kubectl wait` and dashboards. */
function reachability(reachable: boolean, conditions: ConditionInput[]): ConditionInput {
  if (reachable) return { type: "ClusterReachable", status: "True", reason: "Reachable", message: "" };
  const ready = conditions.find((c) => c.type === "Ready");
  return {
    type: "ClusterReachable",
    status: "False",
    reason: ready?.reason ?? "Unreachable",
    message: ready?.message ?? "",
  };
}

export function countTasks(tasks: AgentTask[]): TaskCounts {
  const counts = Object.fromEntries(TASK_PHASES.map((p) => [PHASE_COUNT_KEY[p], 0])) as TaskCounts;
  for (const t of tasks) counts[PHASE_COUNT_KEY[t.status?.phase ?? "Pending"]]++;
  return counts;
}

class MissingGitCredentials extends Error {
  override readonly name = "MissingGitCredentials";
}

/** Org → its namespace (PodSecurity restricted), NetworkPolicy and git credentials, in its cluster. */
export class OrgReconciler {
  private readonly d: OrgReconcilerDeps;
  private readonly now: () => Date;
  private readonly usable = new Map<string, string>();

  constructor(deps: OrgReconcilerDeps) {
    this.d = deps;
    this.now = deps.now ?? (() => new Date());
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const org = this.d.orgs.get(undefined, name);
    if (!org) {
      this.d.clusters.forget(name);
      this.usable.delete(name);
      return undefined;
    }
    const base: OrgStatus = {
      namespace: orgNamespace(org),
      cluster: org.spec.cluster
        ? `${org.spec.cluster.kubeconfigSecretRef.namespace}/${org.spec.cluster.kubeconfigSecretRef.name}`
        : "local",
      tasks: countTasks(this.d.tasks.byIndex(BY_ORG, name)),
    };
    let cluster: OrgCluster;
    try {
      cluster = await this.d.clusters.resolve(org);
    } catch (err) {
      this.markUnusable(name);
      if (err instanceof KubeconfigRefused) {
        return this.report(
          org,
          { ...base, clusterReachable: false },
          kstatus("Stalled", "InvalidKubeconfig", err.message),
          ORG_RECHECK_MS,
        );
      }
      if (err instanceof ClusterUnreachable) {
        return this.report(
          org,
          { ...base, clusterReachable: false },
          kstatus("Reconciling", "ClusterUnreachable", err.message),
          UNREACHABLE_RECHECK_MS,
        );
      }
      throw err;
    }

    try {
      const objects: KubeObject[] = renderOrg(org);
      const credentials = await this.gitCredentials(org, cluster);
      if (credentials) objects.push(credentials);
      for (const obj of objects) await this.ensure(cluster.client, obj);
      // The Org's AgentTasks live in the management cluster, in a namespace of the same name.
      const namespace = objects[0] as KubeObject;
      if (cluster.remote) await this.ensure(this.d.local, namespace);
    } catch (err) {
      const why =
        cluster.remote && !(err instanceof MissingGitCredentials)
          ? describeRemoteError(err)
          : (err as Error).message;
      if (cluster.remote)
        this.d.log.warn({ err, org: name, cluster: cluster.label }, "applying the Org failed");
      const message = `applying the Org's namespace in cluster ${cluster.label} failed: ${why}`;
      return this.report(
        org,
        { ...base, clusterReachable: true },
        kstatus("Reconciling", "ApplyFailed", message),
        UNREACHABLE_RECHECK_MS,
      );
    }

    const fingerprint = `${cluster.label}|${cluster.namespace}`;
    if (this.usable.get(name) !== fingerprint) {
      this.usable.set(name, fingerprint);
      this.d.wakeTasks(name);
    }
    const message = `namespace ${cluster.namespace} is ready in cluster ${cluster.label}`;
    return this.report(
      org,
      { ...base, clusterReachable: true },
      kstatus("Ready", "Ready", message),
      ORG_RECHECK_MS,
    );
  }

  private async ensure(client: ClusterClient, obj: KubeObject): Promise<void> {
    if (needsApply(obj, await getIfExists(client, obj))) await apply(client, obj);
  }

  private markUnusable(name: string): void {
    if (this.usable.delete(name)) this.d.wakeTasks(name);
  }

  /** Agents in an Org's own cluster need the credentials there: copy the Secret across. */
  private async gitCredentials(org: Org, cluster: OrgCluster): Promise<KubeObject | undefined> {
    const ref = org.spec.git?.credentialsSecretRef;
    if (!ref || !cluster.remote) return undefined;
    const source = (await getIfExists(this.d.local, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: ref.name, namespace: orgNamespace(org) },
    })) as (KubernetesObject & { type?: string; data?: Record<string, string> }) | undefined;
    if (!source) {
      throw new MissingGitCredentials(
        `the git credentials Secret ${orgNamespace(org)}/${ref.name} does not exist in the management cluster`,
      );
    }
    return renderGitCredentialsCopy(org, source);
  }

  private async report(
    org: Org,
    status: OrgStatus,
    conditions: ConditionInput[],
    requeueAfterMs: number,
  ): Promise<ReconcileResult> {
    const generation = org.metadata.generation;
    const next: OrgStatus = {
      ...status,
      observedGeneration: generation ?? 0,
      conditions: mergeConditions(
        org.status?.conditions,
        [...conditions, reachability(status.clusterReachable === true, conditions)],
        generation,
        this.now(),
      ),
    };
    if (!sameStatus(org.status, next)) {
      await applyStatus(this.d.local, {
        apiVersion: API_VERSION,
        kind: ORG_KIND,
        metadata: { name: org.metadata.name as string },
        status: next,
      });
      const ready = conditions.find((c) => c.type === "Ready");
      const before = org.status?.conditions?.find((c) => c.type === "Ready");
      if (ready && (ready.status !== before?.status || ready.reason !== before?.reason)) {
        await this.d.events.event(org, {
          type: ready.status === "True" ? "Normal" : "Warning",
          reason: ready.reason,
          action: "Reconcile",
          note: ready.message,
        });
      }
    }
    return { requeueAfterMs };
  }
}
