import { randomBytes } from "node:crypto";
import {
  type ClusterClient,
  deleteIfExists,
  type EventRecorder,
  finalizer,
  type Informer,
  type Logger,
  type ReconcileContext,
  type ReconcileResult,
} from "@agentyard/kube-runtime";
import { taskChildNames } from "../../schema/contract/index.ts";
import {
  AGENT_TASK_KIND,
  type AgentTask,
  type AgentTaskStatus,
  API_VERSION,
  type Org,
  taskKey,
} from "../../schema/index.ts";
import { BY_TASK, type ClusterRegistry, type OrgCluster } from "../clusters.ts";
import type { QuotaGate } from "../quota.ts";
import { describeRemoteError } from "../remote-error.ts";
import type { KubeObject } from "../render/object.ts";
import { renderTask } from "../render/task.ts";
import { TENANCY_CONDITION } from "../status/org-status.ts";
import { decideTask, type TaskDecision } from "../status/task-decision.ts";
import { currentPod, type TaskObservation, taskWorld } from "../status/task-observation.ts";
import {
  decidedReport,
  imageOverrideRefused,
  invalidSpec,
  namespaceMismatch,
  orgNotFound,
  orgRefused,
  stalled,
  taskStatusEvent,
  waitingForCluster,
  waitingForOrg,
} from "../status/task-status.ts";
import { applyChildren, deleteTaskChildren } from "./children.ts";
import { StatusReporter } from "./status-reporter.ts";

/** Children in an Org's own cluster have no owner references; this finalizer deletes them. */
export const REMOTE_CLEANUP_FINALIZER = "agentyard.dev/remote-cleanup";

export interface TaskReconcilerDeps {
  local: ClusterClient;
  tasks: Informer<AgentTask>;
  orgs: Informer<Org>;
  clusters: ClusterRegistry;
  quota: QuotaGate;
  events: EventRecorder;
  agentImage?: string;
  editorImage?: string;
  now?: () => Date;
}

/** The editor's password: kept from the Secret when it exists, generated once otherwise. */
function editorPassword(stored: string | undefined): string {
  return stored ? Buffer.from(stored, "base64").toString("utf8") : randomBytes(18).toString("base64url");
}

/**
 * AgentTask → the agent's ConfigMap, ServiceAccount, Role, Secret, Deployment and Service in the
 * Org's namespace and cluster; status from the pod and the agent's state ConfigMap.
 * Observe, decide (pure), render (pure), apply, report.
 */
export class TaskReconciler {
  private readonly d: TaskReconcilerDeps;
  private readonly now: () => Date;
  private readonly status: StatusReporter<AgentTaskStatus>;

  constructor(deps: TaskReconcilerDeps) {
    this.d = deps;
    this.now = deps.now ?? (() => new Date());
    this.status = new StatusReporter({
      local: deps.local,
      events: deps.events,
      kind: AGENT_TASK_KIND,
      eventFor: taskStatusEvent,
      now: this.now,
    });
  }

  /**
   * `log` carries the controller and the key: every line it writes names the task. `signal` goes
   * with every write, so that none is sent once this replica stopped leading.
   */
  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult> {
    const { signal } = ctx;
    const [namespace, name] = key.split("/") as [string, string];
    const task = this.d.tasks.get(namespace, name);
    if (!task) return undefined;
    const org = this.d.orgs.get(undefined, task.spec.org);
    if (task.metadata.deletionTimestamp) return this.cleanup(task, org, ctx);
    if (!org) return this.status.report(task, stalled(task, orgNotFound(task)), signal);
    const stall = namespaceMismatch(task, org) ?? invalidSpec(task) ?? imageOverrideRefused(task, org);
    if (stall) return this.status.report(task, stalled(task, stall), signal);
    // The Org reconciler's verdict on the Org's namespace and Secrets: its tasks run only inside it.
    const tenancy = org.status?.conditions?.find((c) => c.type === TENANCY_CONDITION);
    if (tenancy?.status === "False")
      return this.status.report(task, stalled(task, orgRefused(org, tenancy.message)), signal);
    const cluster = tenancy ? this.d.clusters.get(org) : undefined;
    if (!cluster) {
      return this.status.report(
        task,
        org.spec.cluster ? waitingForCluster(task, org) : waitingForOrg(task, org),
        signal,
      );
    }
    if (!cluster.remote) return this.converge(task, org, cluster, ctx);
    return finalizer(
      this.d.local,
      task,
      REMOTE_CLEANUP_FINALIZER,
      { apply: (t) => this.converge(t as AgentTask, org, cluster, ctx), cleanup: async () => undefined },
      { signal },
    );
  }

  private async converge(
    task: AgentTask,
    org: Org,
    cluster: OrgCluster,
    { log, signal }: ReconcileContext,
  ): Promise<ReconcileResult> {
    const observed = this.observe(task, cluster);
    const admit = () => this.d.quota.admit(task, org);
    const decision = decideTask(taskWorld(task, org, observed, this.now(), admit));
    if (decision.deleteTask) return this.expire(task, log, signal);
    if (decision.children !== "none") {
      await this.apply(task, cluster, this.render(task, org, cluster, decision, observed), signal);
    }
    return this.report(task, org, cluster, decision, observed, signal);
  }

  /** The task's children as the cluster's informer caches hold them. */
  private observe(task: AgentTask, cluster: OrgCluster): TaskObservation {
    const name = task.metadata.name as string;
    const names = taskChildNames(name);
    const { pods, configMaps, secrets } = cluster.children;
    const childrenKey = taskKey({ metadata: { namespace: cluster.namespace, name } });
    return {
      pod: currentPod(pods.byIndex(BY_TASK, childrenKey), task.status?.attempts ?? 0),
      state: configMaps.get(cluster.namespace, names.stateConfigMap)?.data,
      editorPassword: secrets.get(cluster.namespace, names.editorSecret)?.data?.password,
    };
  }

  /** ttlSecondsAfterFinished passed: the task goes, and its children with it. */
  private async expire(task: AgentTask, log: Logger, signal: AbortSignal): Promise<ReconcileResult> {
    const name = task.metadata.name as string;
    log.info("ttlSecondsAfterFinished passed; deleting the task");
    await deleteIfExists(
      this.d.local,
      {
        apiVersion: API_VERSION,
        kind: AGENT_TASK_KIND,
        metadata: { name, namespace: task.metadata.namespace as string },
      },
      { signal },
    );
    return undefined;
  }

  private render(
    task: AgentTask,
    org: Org,
    cluster: OrgCluster,
    decision: TaskDecision,
    observed: TaskObservation,
  ): KubeObject[] {
    return renderTask(task, org, {
      attempt: decision.status.attempts ?? 1,
      running: decision.children === "running",
      editorPassword: editorPassword(observed.editorPassword),
      remote: cluster.remote,
      ...(this.d.agentImage ? { agentImage: this.d.agentImage } : {}),
      ...(this.d.editorImage ? { editorImage: this.d.editorImage } : {}),
    });
  }

  /** Applies what differs from the caches; a failure is told on the task as an Event, then retried. */
  private async apply(
    task: AgentTask,
    cluster: OrgCluster,
    objects: KubeObject[],
    signal: AbortSignal,
  ): Promise<void> {
    try {
      await applyChildren(cluster, objects, signal);
    } catch (err) {
      await this.d.events.event(task, {
        signal,
        type: "Warning",
        reason: "ApplyFailed",
        action: "Apply",
        note: `applying the agent's objects in cluster ${cluster.label} failed: ${cluster.remote ? describeRemoteError(err) : (err as Error).message}`,
      });
      throw err;
    }
  }

  private async report(
    task: AgentTask,
    org: Org,
    cluster: OrgCluster,
    decision: TaskDecision,
    observed: TaskObservation,
    signal: AbortSignal,
  ): Promise<ReconcileResult> {
    // Read after the apply, not with the rest in observe: by then the cache may hold the Service it created.
    const service = org.spec.editor.enabled
      ? cluster.children.services.get(cluster.namespace, taskChildNames(task.metadata.name as string).service)
      : undefined;
    const placement = { cluster: cluster.label, namespace: cluster.namespace, service, pod: observed.pod };
    return this.status.report(task, decidedReport(task, org, decision, placement), signal);
  }

  /**
   * A deleted task: local children go with their owner; remote ones have no owner reference, so
   * they are deleted here, and only those whose labels and uid say they are this task's: a task that
   * names another Org, or carries this finalizer without ever having had remote children, deletes
   * nothing of anyone else's.
   */
  private async cleanup(
    task: AgentTask,
    org: Org | undefined,
    { log, signal }: ReconcileContext,
  ): Promise<ReconcileResult> {
    if (!task.metadata.finalizers?.includes(REMOTE_CLEANUP_FINALIZER)) return undefined;
    return finalizer(
      this.d.local,
      task,
      REMOTE_CLEANUP_FINALIZER,
      {
        apply: async () => undefined,
        cleanup: async () => {
          const cluster = org ? this.d.clusters.get(org) : undefined;
          if (!org || !cluster) {
            log.warn("the task's Org or its cluster is gone; its remote objects cannot be deleted");
            return undefined;
          }
          if (namespaceMismatch(task, org)) return undefined;
          await deleteTaskChildren(cluster, task, signal);
          return undefined;
        },
      },
      { signal },
    );
  }
}
