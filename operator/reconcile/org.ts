import {
  apply,
  type ClusterClient,
  deleteIfExists,
  type EventRecorder,
  finalizer,
  getIfExists,
  type Informer,
  type Logger,
  needsApply,
  type ReconcileContext,
  type ReconcileResult,
} from "@agentyard/kube-runtime";
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  AGENTS_REMOVED,
  COMPONENT,
  cleanupAbandoned,
  LABEL_COMPONENT,
  LABEL_ORG,
  ORG_CLEANUP_FINALIZER,
  ORG_NETWORK_POLICY,
  selectorString,
} from "../../schema/contract/index.ts";
import {
  type AgentTask,
  isTerminal,
  keepsWarmPool,
  ORG_KIND,
  type Org,
  type OrgStatus,
  orgNamespace,
} from "../../schema/index.ts";
import { apiServerEndpoints } from "../api-server-endpoints.ts";
import {
  BY_WARM_POOL,
  type ClusterRegistry,
  ClusterUnreachable,
  describeClusterFailure,
  type OrgCluster,
} from "../clusters.ts";
import { KubeconfigRefused } from "../kubeconfig-policy.ts";
import { BY_ORG } from "../quota.ts";
import { describeRemoteError } from "../remote-error.ts";
import type { KubeObject } from "../render/object.ts";
import { isSecretCopy, orgSecrets, renderOrg, renderSecretCopy } from "../render/org.ts";
import {
  clusterUnreachable,
  invalidKubeconfig,
  namespaceApplyFailed,
  namespaceCleanupAbandoned,
  namespaceCleanupFailed,
  namespaceReady,
  type OrgOutcome,
  orgRefused,
  orgReport,
  orgStatusBase,
  orgStatusEvent,
  runtimeClassNotFound,
  terminating,
  waitingForTasks,
} from "../status/org-status.ts";
import { agentsAt } from "../status/task-status.ts";
import {
  existingNamespaceRefusal,
  isOrgsOwn,
  orgSpecRefusal,
  type TenancyPolicy,
  tasksInOrg,
} from "../tenancy.ts";
import { StatusReporter } from "./status-reporter.ts";
import { warmPoolCounts } from "./warm-pool-plan.ts";

export interface OrgReconcilerDeps {
  local: ClusterClient;
  orgs: Informer<Org>;
  tasks: Informer<AgentTask>;
  clusters: ClusterRegistry;
  events: EventRecorder;
  tenancy: TenancyPolicy;
  /** Tasks of an Org are woken when its cluster becomes usable or changes. */
  wakeTasks: (orgName: string) => void;
  /** The template hash of the Org's warm pool members in a cluster: its status counts those of it. */
  warmTemplate: (org: Org, cluster: OrgCluster) => string;
  now?: () => Date;
}

/** Our own refusal, not the remote cluster's answer: its message may reach status as it is. */
class SecretCopyRefused extends Error {
  override readonly name = "SecretCopyRefused";
}

/** A task a deleting Org no longer waits for: it ended, and its agents are gone or never were. */
function released(task: AgentTask): boolean {
  if (task.metadata.deletionTimestamp || !isTerminal(task.status?.phase ?? "Pending")) return false;
  return (task.status?.attempts ?? 0) === 0 || agentsAt(task) === undefined;
}

/** Deletes the object when it exists and `own` says it is ours, conditioned on the uid checked. */
async function deleteOwn(
  client: ClusterClient,
  ref: KubeObject,
  own: (live: KubernetesObject) => boolean,
  signal: AbortSignal,
): Promise<void> {
  const live = await getIfExists<KubernetesObject>(client, ref, { signal });
  if (live && own(live)) await deleteIfExists(client, ref, { uid: live.metadata?.uid as string, signal });
}

/** Org → its namespace (PodSecurity restricted), NetworkPolicy and git credentials, in its cluster. */
export class OrgReconciler {
  private readonly d: OrgReconcilerDeps;
  /** The cluster and namespace each usable Org's tasks were last woken for. */
  private readonly usable = new Map<string, string>();
  private readonly status: StatusReporter<OrgStatus>;

  constructor(deps: OrgReconcilerDeps) {
    this.d = deps;
    this.status = new StatusReporter({
      local: deps.local,
      events: deps.events,
      kind: ORG_KIND,
      eventFor: orgStatusEvent,
      now: deps.now ?? (() => new Date()),
    });
  }

  async reconcile(name: string, { log, signal }: ReconcileContext): Promise<ReconcileResult> {
    const org = this.d.orgs.get(undefined, name);
    if (!org) return this.forget(name);
    if (org.metadata.deletionTimestamp && !org.metadata.finalizers?.includes(ORG_CLEANUP_FINALIZER)) {
      return this.forget(name);
    }
    return finalizer(
      this.d.local,
      org,
      ORG_CLEANUP_FINALIZER,
      {
        apply: (o) => this.converge(o as Org, log, signal),
        cleanup: (o) => this.terminate(o as Org, log, signal),
      },
      { signal },
    );
  }

  private async converge(org: Org, log: Logger, signal: AbortSignal): Promise<ReconcileResult> {
    const name = org.metadata.name as string;
    const base = orgStatusBase(org, tasksInOrg(this.d.tasks.byIndex(BY_ORG, name), org));
    const refusal = orgSpecRefusal(org, this.d.orgs.list(), this.d.tenancy);
    if (refusal) return this.refuse(org, base, refusal, signal);
    let cluster: OrgCluster;
    try {
      cluster = await this.d.clusters.resolve(org);
    } catch (err) {
      this.markUnusable(name);
      if (err instanceof KubeconfigRefused) {
        return this.report(org, base, invalidKubeconfig(err.message), signal);
      }
      if (err instanceof ClusterUnreachable) {
        return this.report(org, base, clusterUnreachable(err.message), signal);
      }
      throw err;
    }
    try {
      const taken = await this.namespaceTaken(org, cluster, signal);
      if (taken) return this.refuse(org, base, taken, signal);
      await this.applyNamespace(org, cluster, signal);
    } catch (err) {
      // A remote cluster's answer is told in our words; the whole error goes to the log.
      const why =
        cluster.remote && !(err instanceof SecretCopyRefused)
          ? describeRemoteError(err)
          : (err as Error).message;
      if (cluster.remote) log.warn({ err, cluster: cluster.label }, "applying the Org failed");
      return this.report(org, base, namespaceApplyFailed(cluster.label, why), signal);
    }
    const runtimeClass = org.spec.agent.runtimeClassName;
    if (runtimeClass && !(await this.runtimeClassExists(cluster, runtimeClass, signal))) {
      this.markUnusable(name);
      return this.report(org, base, runtimeClassNotFound(cluster.label, runtimeClass), signal);
    }
    this.markUsable(name, cluster);
    const pooled = keepsWarmPool(org) ? { warmPool: this.warmPoolCounts(org, cluster) } : {};
    return this.report(org, { ...base, ...pooled }, namespaceReady(cluster.label, cluster.namespace), signal);
  }

  /**
   * A deleted Org: its tasks end and their agents go (the task reconciler does that, woken by the
   * Org's change, in whatever cluster each task recorded); then the objects in its namespace go;
   * then the Org. The tasks themselves stay, as records, and so do the namespaces. An Org whose
   * spec tenancy refuses made nothing there: its cluster is not reached (its kubeconfig Secret may
   * be one it may not read), and only its finalizer goes.
   */
  private async terminate(org: Org, log: Logger, signal: AbortSignal): Promise<ReconcileResult> {
    const name = org.metadata.name as string;
    const tasks = tasksInOrg(this.d.tasks.byIndex(BY_ORG, name), org);
    const base = orgStatusBase(org, tasks);
    const reachable = org.status?.clusterReachable ?? false;
    const waiting = tasks.filter((t) => !released(t));
    if (waiting.length > 0) {
      const blocked = waiting
        .map((t) => t.status?.conditions?.find((c) => c.type === AGENTS_REMOVED && c.status === "False"))
        .find((c) => c !== undefined);
      const message = waitingForTasks(waiting.length, tasks.length, blocked?.message);
      return this.report(org, base, terminating(reachable, "WaitingForTasks", message), signal);
    }
    const refusal = orgSpecRefusal(org, this.d.orgs.list(), this.d.tenancy);
    if (refusal) {
      log.info({ refusal }, "the Org was refused its namespace; nothing of it to delete there");
      return this.forget(name);
    }
    try {
      const cluster = await this.d.clusters.resolve(org);
      await this.deleteNamespaceObjects(org, cluster, signal);
    } catch (err) {
      const why = describeClusterFailure(err);
      log.warn({ err }, "deleting the Org's objects failed");
      if (!cleanupAbandoned(org)) return this.report(org, base, namespaceCleanupFailed(why), signal);
      await this.d.events.event(org, {
        type: "Warning",
        reason: "CleanupAbandoned",
        action: "Cleanup",
        note: namespaceCleanupAbandoned(org, why),
        signal,
      });
    }
    return this.forget(name);
  }

  /**
   * What the Org made in its namespace, and only that: the NetworkPolicy labelled as its own, its
   * idle warm pool members and the git credentials copy, each delete conditioned on the uid checked. The namespace stays, with
   * whatever else people or another Org put there.
   */
  private async deleteNamespaceObjects(org: Org, cluster: OrgCluster, signal: AbortSignal): Promise<void> {
    const namespace = cluster.namespace;
    await deleteOwn(
      cluster.client,
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: ORG_NETWORK_POLICY, namespace },
      },
      (live) => isOrgsOwn(live, org),
      signal,
    );
    // Idle pool members: in the Org's own cluster no owner reference takes them (bound ones are their tasks').
    const idle = await cluster.client.request<{ items: KubernetesObject[] }>(
      "GET",
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
      {
        signal,
        query: {
          labelSelector: selectorString({
            [LABEL_ORG]: org.metadata.name as string,
            [LABEL_COMPONENT]: COMPONENT.warm,
          }),
        },
      },
    );
    for (const pod of idle.items) {
      const ref = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: pod.metadata?.name as string, namespace },
      };
      await deleteIfExists(cluster.client, ref, { uid: pod.metadata?.uid as string, signal });
    }
    for (const { ref } of orgSecrets(org)) {
      await deleteOwn(
        cluster.client,
        { apiVersion: "v1", kind: "Secret", metadata: { name: ref.name, namespace } },
        (live) => isSecretCopy(live, org),
        signal,
      );
    }
  }

  private forget(name: string): ReconcileResult {
    this.d.clusters.forget(name);
    this.usable.delete(name);
    return undefined;
  }

  /** Stalled, nothing applied; the Org's tasks read the refusal from its status. */
  private refuse(org: Org, base: OrgStatus, refusal: string, signal: AbortSignal): Promise<ReconcileResult> {
    this.markUnusable(org.metadata.name as string);
    return this.report(org, base, orgRefused(refusal), signal);
  }

  /**
   * Why the Org's namespace, where it exists already, is not the Org's to take: in its cluster, and
   * for an Org with its own cluster also in the management cluster, where its tasks live.
   */
  private async namespaceTaken(
    org: Org,
    cluster: OrgCluster,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: orgNamespace(org) } };
    const there = existingNamespaceRefusal(
      org,
      await getIfExists<KubernetesObject>(cluster.client, namespace, { signal }),
      cluster.label,
    );
    if (there || !cluster.remote) return there;
    return existingNamespaceRefusal(
      org,
      await getIfExists<KubernetesObject>(this.d.local, namespace, { signal }),
      "local",
    );
  }

  /** The Org's namespace and what lives in it, in its cluster. */
  private async applyNamespace(org: Org, cluster: OrgCluster, signal: AbortSignal): Promise<void> {
    // Open egress allows the API server's ports to any address: its endpoints need not be known.
    const apiServer =
      org.spec.network.egress.mode === "Restricted"
        ? await apiServerEndpoints(cluster.client, signal)
        : { addresses: [], ports: [] };
    const objects: KubeObject[] = renderOrg(org, apiServer);
    objects.push(...(await this.secretCopies(org, cluster, signal)));
    for (const obj of objects) await this.ensure(cluster.client, obj, signal);
    // The Org's AgentTasks live in the management cluster, in a namespace of the same name.
    const namespace = objects[0] as KubeObject;
    if (cluster.remote) await this.ensure(this.d.local, namespace, signal);
  }

  private async ensure(client: ClusterClient, obj: KubeObject, signal: AbortSignal): Promise<void> {
    if (needsApply(obj, await getIfExists(client, obj, { signal }))) await apply(client, obj, { signal });
  }

  private warmPoolCounts(org: Org, cluster: OrgCluster) {
    const members = cluster.children.pods.byIndex(BY_WARM_POOL, `${cluster.namespace}/${org.metadata.name}`);
    return warmPoolCounts(this.d.warmTemplate(org, cluster), members);
  }

  private async runtimeClassExists(cluster: OrgCluster, name: string, signal: AbortSignal): Promise<boolean> {
    const runtimeClass = { apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", metadata: { name } };
    return (await getIfExists(cluster.client, runtimeClass, { signal })) !== undefined;
  }

  /** Wakes the Org's tasks when its cluster became usable, or moved to another cluster or namespace. */
  private markUsable(name: string, cluster: OrgCluster): void {
    const fingerprint = `${cluster.label}|${cluster.namespace}`;
    if (this.usable.get(name) === fingerprint) return;
    this.usable.set(name, fingerprint);
    this.d.wakeTasks(name);
  }

  private markUnusable(name: string): void {
    if (this.usable.delete(name)) this.d.wakeTasks(name);
  }

  /**
   * Agents mount the Org's Secrets from the Org's namespace in its cluster: a Secret kept in a
   * designated namespace, or one for an Org's own cluster, is copied there. A copy never replaces a
   * Secret agentyard did not copy; two fields naming one Secret get one copy.
   */
  private async secretCopies(org: Org, cluster: OrgCluster, signal: AbortSignal): Promise<KubeObject[]> {
    const namespace = orgNamespace(org);
    const copies = new Map<string, KubeObject>();
    for (const secret of orgSecrets(org)) {
      const { name } = secret.ref;
      const from = secret.ref.namespace ?? namespace;
      if ((!cluster.remote && from === namespace) || copies.has(name)) continue;
      const at = (where: string) => ({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace: where },
      });
      const source = (await getIfExists(this.d.local, at(from), { signal })) as
        | (KubernetesObject & { type?: string; data?: Record<string, string> })
        | undefined;
      if (!source) {
        throw new SecretCopyRefused(
          `the Secret ${from}/${name} of ${secret.field} does not exist in the management cluster`,
        );
      }
      const existing = await getIfExists<KubernetesObject>(cluster.client, at(namespace), { signal });
      if (existing && !isSecretCopy(existing, org)) {
        throw new SecretCopyRefused(
          `a Secret ${namespace}/${name} that agentyard did not copy exists in cluster ${cluster.label}: rename ${secret.field} or remove that Secret`,
        );
      }
      copies.set(name, renderSecretCopy(org, secret, source));
    }
    return [...copies.values()];
  }

  private report(
    org: Org,
    base: OrgStatus,
    outcome: OrgOutcome,
    signal: AbortSignal,
  ): Promise<ReconcileResult> {
    return this.status.report(org, orgReport(base, outcome), signal);
  }
}
