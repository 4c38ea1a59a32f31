import { randomBytes } from "node:crypto";
import {
  applyStatus,
  type ClusterClient,
  deleteIfExists,
  type EventRecorder,
  finalizer,
  type Informer,
  type ReconcileResult,
} from "@agentyard/kube-runtime";
import type { V1Pod } from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  AGENT_TASK_KIND,
  type AgentTask,
  AgentTaskSchema,
  type AgentTaskStatus,
  API_VERSION,
  type Org,
  orgNamespace,
  parseDuration,
} from "../../schema/index.ts";
import { parseAgentState } from "../../schema/state.ts";
import { BY_TASK, type ClusterRegistry, type OrgCluster } from "../clusters.ts";
import type { QuotaGate } from "../quota.ts";
import { describeRemoteError } from "../remote-error.ts";
import { ANNOTATION_ATTEMPT } from "../render/labels.ts";
import { taskChildNames } from "../render/names.ts";
import { editorURL, localEditorAddress } from "../render/service.ts";
import { renderTask } from "../render/task.ts";
import { kstatus, mergeConditions } from "../status/conditions.ts";
import { type AgentPodView, decideTask } from "../status/task-decision.ts";
import { applyChildren } from "./children.ts";
import { sameStatus } from "./status-equal.ts";

/** Children in an Org's own cluster have no owner references; this finalizer deletes them. */
export const REMOTE_CLEANUP_FINALIZER = "agentyard.dev/remote-cleanup";

export interface TaskReconcilerDeps {
  local: ClusterClient;
  tasks: Informer<AgentTask>;
  orgs: Informer<Org>;
  clusters: ClusterRegistry;
  quota: QuotaGate;
  events: EventRecorder;
  log: Logger;
  agentImage?: string;
  editorImage?: string;
  now?: () => Date;
}

function podView(pod: V1Pod | undefined): AgentPodView | undefined {
  if (!pod) return undefined;
  const agent = pod.status?.containerStatuses?.find((c) => c.name === "agent");
  const view: AgentPodView = { ready: agent?.ready ?? false, restarts: agent?.restartCount ?? 0 };
  if (pod.status?.phase) view.phase = pod.status.phase;
  const terminated = agent?.lastState?.terminated ?? agent?.state?.terminated;
  if (terminated)
    view.terminated = {
      exitCode: terminated.exitCode,
      ...(terminated.reason ? { reason: terminated.reason } : {}),
    };
  const waiting = agent?.state?.waiting;
  if (waiting?.reason)
    view.waiting = { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) };
  // A pod no node can take says why in its PodScheduled condition (e.g. "Insufficient cpu").
  const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (!view.waiting && unscheduled?.reason) {
    view.waiting = {
      reason: unscheduled.reason,
      ...(unscheduled.message ? { message: unscheduled.message } : {}),
    };
  }
  return view;
}

/**
 * AgentTask → the agent's ConfigMap, ServiceAccount, Role, Secret, Deployment and Service in the
 * Org's namespace and cluster; status from the pod and the agent's state ConfigMap.
 * Observe, decide (pure), apply, report.
 */
export class TaskReconciler {
  private readonly d: TaskReconcilerDeps;
  private readonly now: () => Date;

  constructor(deps: TaskReconcilerDeps) {
    this.d = deps;
    this.now = deps.now ?? (() => new Date());
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [namespace, name] = key.split("/") as [string, string];
    const task = this.d.tasks.get(namespace, name);
    if (!task) return undefined;
    const org = this.d.orgs.get(undefined, task.spec.org);

    if (task.metadata.deletionTimestamp) return this.cleanup(task, org);
    if (!org) {
      return this.stall(
        task,
        "OrgNotFound",
        `Org "${task.spec.org}" does not exist: create it, or fix spec.org`,
      );
    }
    const expected = orgNamespace(org);
    if (namespace !== expected) {
      return this.stall(
        task,
        "NamespaceMismatch",
        `tasks of Org "${task.spec.org}" live in namespace "${expected}", not "${namespace}": create the task there`,
      );
    }
    const valid = AgentTaskSchema.safeParse(task);
    if (!valid.success) {
      const detail = valid.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      return this.stall(task, "InvalidSpec", `the task is invalid: ${detail}`);
    }
    const cluster = this.d.clusters.get(org);
    if (!cluster) {
      const why = org.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "not resolved yet";
      return this.report(
        task,
        { ...task.status, phase: task.status?.phase ?? "Pending" },
        kstatus(
          "Reconciling",
          "WaitingForCluster",
          `waiting for the cluster of Org ${org.metadata.name}: ${why}`,
        ),
        10_000,
      );
    }
    if (cluster.remote) {
      return finalizer(this.d.local, task, REMOTE_CLEANUP_FINALIZER, {
        apply: (t) => this.converge(t as AgentTask, org, cluster),
        cleanup: async () => undefined,
      });
    }
    return this.converge(task, org, cluster);
  }

  private async converge(task: AgentTask, org: Org, cluster: OrgCluster): Promise<ReconcileResult> {
    const name = task.metadata.name as string;
    const names = taskChildNames(name);
    const attempt = task.status?.attempts ?? 0;
    const pods = cluster.children.pods
      .byIndex(BY_TASK, `${cluster.namespace}/${name}`)
      .filter(
        (p) =>
          p.metadata?.annotations?.[ANNOTATION_ATTEMPT] === String(attempt) && !p.metadata?.deletionTimestamp,
      )
      .sort((a, b) =>
        String(b.metadata?.creationTimestamp ?? "").localeCompare(
          String(a.metadata?.creationTimestamp ?? ""),
        ),
      );
    const stateMap = cluster.children.configMaps.get(cluster.namespace, names.stateConfigMap);
    const idle = org.spec.editor.idleTimeout;
    const decision = decideTask({
      task,
      now: this.now(),
      admit: () => this.d.quota.admit(task, org),
      pod: podView(pods[0]),
      state: parseAgentState(stateMap?.data, attempt),
      ...(idle ? { editorIdleTimeoutMs: parseDuration(idle) } : {}),
    });

    if (decision.deleteTask) {
      this.d.log.info(
        { task: `${task.metadata.namespace}/${name}` },
        "ttlSecondsAfterFinished passed; deleting the task",
      );
      await deleteIfExists(this.d.local, {
        apiVersion: API_VERSION,
        kind: AGENT_TASK_KIND,
        metadata: { name, namespace: task.metadata.namespace as string },
      });
      return undefined;
    }

    if (decision.children !== "none") {
      const objects = renderTask(task, org, {
        attempt: decision.status.attempts ?? 1,
        running: decision.children === "running",
        editorPassword: this.editorPassword(cluster, names.editorSecret),
        remote: cluster.remote,
        ...(this.d.agentImage ? { agentImage: this.d.agentImage } : {}),
        ...(this.d.editorImage ? { editorImage: this.d.editorImage } : {}),
      });
      try {
        await applyChildren(cluster, objects);
      } catch (err) {
        await this.d.events.event(task, {
          type: "Warning",
          reason: "ApplyFailed",
          action: "Apply",
          note: `applying the agent's objects in cluster ${cluster.label} failed: ${cluster.remote ? describeRemoteError(err) : (err as Error).message}`,
        });
        throw err;
      }
    }

    const service = org.spec.editor.enabled
      ? cluster.children.services.get(cluster.namespace, names.service)
      : undefined;
    const status: AgentTaskStatus = {
      ...decision.status,
      cluster: cluster.label,
      namespace: cluster.namespace,
      ...(decision.children !== "none" ? { deployment: names.deployment } : {}),
      ...(decision.children !== "none" && org.spec.editor.enabled
        ? { service: names.service, editorURL: editorURL(task, org, service, localEditorAddress(pods[0])) }
        : {}),
    };
    return this.report(task, status, decision.conditions, decision.requeueAfterMs);
  }

  /** The editor's password: kept from the Secret when it exists, generated once otherwise. */
  private editorPassword(cluster: OrgCluster, secretName: string): string {
    const live = cluster.children.secrets.get(cluster.namespace, secretName)?.data?.password;
    return live ? Buffer.from(live, "base64").toString("utf8") : randomBytes(18).toString("base64url");
  }

  private async stall(task: AgentTask, reason: string, message: string): Promise<ReconcileResult> {
    return this.report(
      task,
      { ...task.status, phase: task.status?.phase ?? "Pending", message },
      kstatus("Stalled", reason, message),
    );
  }

  /** Writes the status only when it changed, with an Event on each phase change and on errors. */
  private async report(
    task: AgentTask,
    status: AgentTaskStatus,
    conditions: ReturnType<typeof kstatus>,
    requeueAfterMs?: number,
  ): Promise<ReconcileResult> {
    const generation = task.metadata.generation;
    const next: AgentTaskStatus = {
      ...status,
      observedGeneration: generation ?? 0,
      conditions: mergeConditions(task.status?.conditions, conditions, generation, this.now()),
    };
    if (!sameStatus(task.status, next)) {
      await applyStatus(this.d.local, {
        apiVersion: API_VERSION,
        kind: AGENT_TASK_KIND,
        metadata: { name: task.metadata.name as string, namespace: task.metadata.namespace as string },
        status: next,
      });
      // An Event on every phase change and on every new reason within a phase (a retry, a stall).
      const reason = conditions.find((c) => c.type === "Ready")?.reason;
      const previousReason = task.status?.conditions?.find((c) => c.type === "Ready")?.reason;
      if (task.status?.phase !== next.phase || reason !== previousReason) {
        const stalled = conditions.some((c) => c.type === "Stalled" && c.status === "True");
        const warning =
          stalled || next.phase === "Failed" || next.phase === "TimedOut" || reason === "RetryBackoff";
        await this.d.events.event(task, {
          type: warning ? "Warning" : "Normal",
          reason: reason ?? next.phase ?? "Pending",
          action: "Reconcile",
          note: next.message ?? "",
        });
      }
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  /** A deleted task: local children go with their owner; remote ones are deleted here by label. */
  private async cleanup(task: AgentTask, org: Org | undefined): Promise<ReconcileResult> {
    if (!task.metadata.finalizers?.includes(REMOTE_CLEANUP_FINALIZER)) return undefined;
    return finalizer(this.d.local, task, REMOTE_CLEANUP_FINALIZER, {
      apply: async () => undefined,
      cleanup: async (t) => {
        const cluster = org ? this.d.clusters.get(org) : undefined;
        const name = t.metadata?.name as string;
        if (!cluster) {
          this.d.log.warn(
            { task: name },
            "the task's Org or its cluster is gone; its remote objects cannot be deleted",
          );
          return undefined;
        }
        const names = taskChildNames(name);
        const ns = cluster.namespace;
        const children = [
          ["apps/v1", "Deployment", names.deployment],
          ["v1", "Service", names.service],
          ["v1", "Secret", names.editorSecret],
          ["v1", "ConfigMap", names.stateConfigMap],
          ["rbac.authorization.k8s.io/v1", "RoleBinding", names.roleBinding],
          ["rbac.authorization.k8s.io/v1", "Role", names.role],
          ["v1", "ServiceAccount", names.serviceAccount],
        ] as const;
        for (const [apiVersion, kind, childName] of children) {
          await deleteIfExists(cluster.client, {
            apiVersion,
            kind,
            metadata: { name: childName, namespace: ns },
          });
        }
        return undefined;
      },
    });
  }
}
