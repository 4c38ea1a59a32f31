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
import type { KubernetesObject, V1Pod } from "@kubernetes/client-node";
import {
  AGENTS_REMOVED,
  cleanupAbandoned,
  LABEL_WARM_MEMBER,
  REMOTE_CLEANUP_FINALIZER,
  taskChildNames,
  warmMemberNames,
} from "../../schema/contract/index.ts";
import {
  AGENT_TASK_KIND,
  type AgentTask,
  type AgentTaskStatus,
  API_VERSION,
  isTerminal,
  type Org,
  taskKey,
} from "../../schema/index.ts";
import {
  BY_TASK,
  BY_WARM_POOL,
  type ClusterRegistry,
  clusterLabelOf,
  describeClusterFailure,
  type OrgCluster,
} from "../clusters.ts";
import type { QuotaGate } from "../quota.ts";
import { describeRemoteError } from "../remote-error.ts";
import type { KubeObject } from "../render/object.ts";
import { renderTask } from "../render/task.ts";
import { type MemberRenderOptions, warmTemplateHash } from "../render/warm-member.ts";
import type { ConditionInput } from "../status/conditions.ts";
import { TENANCY_CONDITION } from "../status/org-status.ts";
import {
  decideSettled,
  decideTask,
  decideWithdrawn,
  type TaskDecision,
  type Withdrawal,
} from "../status/task-decision.ts";
import { currentPod, type TaskObservation, taskWorld } from "../status/task-observation.ts";
import {
  abandonedCondition,
  agentsAt,
  agentsRemoved,
  clusterChanged,
  decidedReport,
  environmentTooLarge,
  imageOverrideRefused,
  invalidSpec,
  namespaceMismatch,
  notRemovedCondition,
  orgDeleted,
  orgMissing,
  orgRefused,
  placedCondition,
  REMOVAL_RETRY_MS,
  removedCondition,
  stalled,
  taskStatusEvent,
  waitingForCluster,
  waitingForOrg,
  waitingForRuntimeClass,
  withdrawnReport,
} from "../status/task-status.ts";
import { planAgentPods } from "./agent-pod-plan.ts";
import { createAgentPod, removeStaleWorkload } from "./agent-pods.ts";
import { applyChildren, deleteTaskChildren, isChildOf } from "./children.ts";
import { CreatedPods } from "./created-pods.ts";
import { StatusReporter } from "./status-reporter.ts";
import { BoundMembers, bindableMembers, bindMember, bindsWarmMember, boundMemberOf } from "./warm-claim.ts";
import { idle } from "./warm-pool-plan.ts";

export interface TaskReconcilerDeps {
  local: ClusterClient;
  tasks: Informer<AgentTask>;
  orgs: Informer<Org>;
  clusters: ClusterRegistry;
  quota: QuotaGate;
  events: EventRecorder;
  agentImage?: string;
  editorImage?: string;
  tailscaleImage?: string;
  now?: () => Date;
}

/** Members a task tries to bind before it starts a pod of its own: each failure is another replica's win, or the pool's. */
const MAX_BIND_TRIES = 3;

/** A pool member's editor password, as its Secret holds it (base64). */
function memberPassword(cluster: OrgCluster, member: string): string | undefined {
  return cluster.children.secrets.get(cluster.namespace, warmMemberNames(member).editorSecret)?.data
    ?.password;
}

/** The editor's password: kept from the Secret when it exists, generated once otherwise. */
function editorPassword(stored: string | undefined): string {
  return stored ? Buffer.from(stored, "base64").toString("utf8") : randomBytes(18).toString("base64url");
}

/**
 * AgentTask → the agent's ConfigMap, ServiceAccount, Role, Secret, Deployment (or bare Pod) and
 * Service in the Org's namespace and cluster; status from the pod and the agent's state ConfigMap.
 * Observe, decide (pure), render (pure), apply, report.
 */
export class TaskReconciler {
  private readonly d: TaskReconcilerDeps;
  private readonly now: () => Date;
  private readonly status: StatusReporter<AgentTaskStatus>;
  private readonly createdPods = new CreatedPods();
  private readonly boundMembers = new BoundMembers();

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
    if (!org) return this.withdraw(task, org, orgMissing(task), ctx);
    const misplaced = namespaceMismatch(task, org);
    if (misplaced) return this.status.report(task, stalled(task, misplaced), signal);
    if (org.metadata.deletionTimestamp) return this.withdraw(task, org, orgDeleted(task), ctx);
    if (agentsRemoved(task) && isTerminal(task.status?.phase ?? "Pending")) return this.settle(task, ctx);
    const stall = invalidSpec(task) ?? imageOverrideRefused(task, org) ?? environmentTooLarge(task, org);
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
    const noRuntime = waitingForRuntimeClass(task, org);
    if (noRuntime) return this.status.report(task, noRuntime, signal);
    const moved = clusterChanged(task, cluster);
    if (moved) return this.withdraw(task, org, moved, ctx);
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
    let pods = this.podsOf(task, cluster);
    let observed = this.observe(task, cluster, pods);
    const admit = () => this.d.quota.admit(task, org);
    let decision = decideTask(taskWorld(task, org, observed, this.now(), admit));
    if (decision.deleteTask) return this.expire(task, log, signal);
    // A member's editor has its own password: only a task that has none yet (its first pod) binds one.
    const firstPod = observed.editorPassword === undefined || !org.spec.editor.enabled;
    if (decision.children === "running" && pods.length === 0 && firstPod && bindsWarmMember(task, org)) {
      const bound = await this.bindWarmMember(task, org, cluster, decision.status.attempts ?? 1, signal);
      if (bound) {
        log.info({ member: bound.metadata?.name }, "bound a warm pool member");
        pods = [bound];
        observed = this.observe(task, cluster, pods, decision.status.attempts ?? 1);
        // Decided over the attempt just begun: a member already ready makes the first write Running.
        const begun = { ...task, status: decision.status };
        decision = decideTask(taskWorld(begun, org, observed, this.now(), admit));
      }
    }
    const member =
      decision.children === "running" ? boundMemberOf(pods, decision.status.attempts ?? 1) : undefined;
    let podRequeueMs: number | undefined;
    if (decision.children !== "none") {
      const objects = this.render(task, org, cluster, decision, observed, member);
      podRequeueMs = await this.apply(task, org, cluster, objects, pods, member, signal);
    }
    return this.report(task, org, cluster, decision, observed, signal, podRequeueMs);
  }

  /**
   * The task stays, its agents go and do not come back while `why` holds: they are deleted where
   * the task recorded them, whatever its Org says now. A final task whose agents are gone only
   * waits for its ttlSecondsAfterFinished.
   */
  private async withdraw(
    task: AgentTask,
    org: Org | undefined,
    why: Withdrawal,
    ctx: ReconcileContext,
  ): Promise<ReconcileResult> {
    const decision = decideWithdrawn(task, this.now(), why);
    if (decision.deleteTask) return this.expire(task, ctx.log, ctx.signal);
    const started = (task.status?.attempts ?? 0) > 0;
    const removal = started ? await this.removeAgents(task, org, why.reason, ctx) : undefined;
    return this.status.report(task, withdrawnReport(decision, removal), ctx.signal);
  }

  /** A final task whose agents were removed keeps its record and gets none again. */
  private async settle(task: AgentTask, { log, signal }: ReconcileContext): Promise<ReconcileResult> {
    const decision = decideSettled(task, this.now());
    if (decision.deleteTask) return this.expire(task, log, signal);
    return this.status.report(task, withdrawnReport(decision, undefined), signal);
  }

  /** Deletes the task's children where it recorded them; the AgentsRemoved condition it returns says how that went. */
  private async removeAgents(
    task: AgentTask,
    org: Org | undefined,
    reason: string,
    { log, signal }: Pick<ReconcileContext, "log" | "signal">,
  ): Promise<ConditionInput | undefined> {
    const at = agentsAt(task);
    if (!at) return undefined;
    let removal: ConditionInput;
    try {
      const deleted = await this.d.clusters.withRecorded(at.label, at.namespace, org, (target) =>
        deleteTaskChildren(target, task, signal),
      );
      log.info({ cluster: at.label, reason, deleted }, "removed the task's agent");
      removal = removedCondition(reason, at.label, at.namespace);
    } catch (err) {
      log.warn({ err, cluster: at.label }, "removing the task's agent failed");
      const why = describeClusterFailure(err);
      removal = cleanupAbandoned(task, org)
        ? abandonedCondition(at.label, at.namespace, why)
        : notRemovedCondition(at.label, at.namespace, why);
    }
    await this.tellRemoval(task, removal, signal);
    return removal;
  }

  /** An Event when removing the agents succeeds, is given up, or first fails. */
  private async tellRemoval(task: AgentTask, removal: ConditionInput, signal: AbortSignal): Promise<void> {
    const before = task.status?.conditions?.find((c) => c.type === AGENTS_REMOVED);
    if (before?.status === removal.status && before.reason === removal.reason) return;
    await this.d.events.event(task, {
      type: removal.reason === "Abandoned" || removal.status === "False" ? "Warning" : "Normal",
      reason:
        removal.status === "True"
          ? `AgentsRemoved${removal.reason === "Abandoned" ? "Abandoned" : ""}`
          : "AgentsRemovalFailed",
      action: "Cleanup",
      note: removal.message,
      signal,
    });
  }

  /** The task's children as the cluster's informer caches hold them. */
  private observe(
    task: AgentTask,
    cluster: OrgCluster,
    pods: V1Pod[],
    attempt = task.status?.attempts ?? 0,
  ): TaskObservation {
    const names = taskChildNames(task.metadata.name as string);
    const { configMaps, secrets, persistentVolumeClaims } = cluster.children;
    const claim = persistentVolumeClaims.get(cluster.namespace, names.workspace);
    return {
      ...(claim && isChildOf(claim as KubernetesObject, task)
        ? {
            workspaceClaim: {
              size: claim.spec?.resources?.requests?.storage,
              storageClassName: claim.spec?.storageClassName,
            },
          }
        : {}),
      pod: currentPod(pods, attempt),
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
    warmMember: string | undefined,
  ): KubeObject[] {
    // A task bound to a pool member keeps the password its editor started with.
    const stored = observed.editorPassword ?? (warmMember && memberPassword(cluster, warmMember));
    return renderTask(task, org, {
      attempt: decision.status.attempts ?? 1,
      running: decision.children === "running",
      editorPassword: editorPassword(stored || undefined),
      remote: cluster.remote,
      ...(observed.workspaceClaim ? { workspaceClaim: observed.workspaceClaim } : {}),
      ...(warmMember ? { warmMember } : {}),
      ...(this.d.agentImage ? { agentImage: this.d.agentImage } : {}),
      ...(this.d.editorImage ? { editorImage: this.d.editorImage } : {}),
      ...(this.d.tailscaleImage ? { tailscaleImage: this.d.tailscaleImage } : {}),
    });
  }

  /**
   * Applies what differs from the caches, and brings the task's pods to the one its workload wants; a
   * failure is told on the task as an Event, then retried. Returns when to look again at a pod whose
   * deletion waits for its kubelet.
   */
  private async apply(
    task: AgentTask,
    org: Org,
    cluster: OrgCluster,
    objects: KubeObject[],
    pods: V1Pod[],
    warmMember: string | undefined,
    signal: AbortSignal,
  ): Promise<number | undefined> {
    const workload = org.spec.agent.workload;
    const pod = objects.find((o) => o.kind === "Pod");
    const podKey = pod && `${task.metadata.uid}/${cluster.label}/${pod.metadata.name}`;
    const cached = pods.some((p) => p.metadata?.name === pod?.metadata.name);
    const uncached = podKey !== undefined && this.createdPods.awaited(podKey, cached);
    const wanted = pod?.metadata.name ?? (warmMember && warmMemberNames(warmMember).pod);
    const plan = planAgentPods(wanted, workload, pods, this.now(), uncached);
    try {
      await removeStaleWorkload(cluster, task, workload, plan, signal);
      await applyChildren(
        cluster,
        objects.filter((o) => o !== pod),
        signal,
      );
      // After the rest, as the Deployment is: the API server admits the pod only with its ServiceAccount.
      if (pod && podKey && plan.create) {
        await createAgentPod(cluster, task, pod, signal);
        this.createdPods.created(podKey);
      }
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
    return plan.requeueAfterMs;
  }

  /**
   * The task's own pods: a pod that only borrows its name in a label, another task's of the same
   * name or a person's, is not. A member this process bound counts before the cache shows it.
   */
  private podsOf(task: AgentTask, cluster: OrgCluster): V1Pod[] {
    const key = taskKey({ metadata: { namespace: cluster.namespace, name: task.metadata.name as string } });
    const own = cluster.children.pods
      .byIndex(BY_TASK, key)
      .filter((p) => isChildOf(p as KubernetesObject, task));
    const pending = this.boundMembers.pending(`${task.metadata.uid}/${cluster.label}`, own);
    return pending ? [...own, pending] : own;
  }

  /**
   * Binds one of the Org's idle pool members to the task, the best first (bindableMembers); a member
   * another task or the pool took meanwhile is skipped. Undefined when none could be bound: the task
   * starts a pod of its own.
   */
  private async bindWarmMember(
    task: AgentTask,
    org: Org,
    cluster: OrgCluster,
    attempt: number,
    signal: AbortSignal,
  ): Promise<V1Pod | undefined> {
    const members = cluster.children.pods.byIndex(BY_WARM_POOL, `${cluster.namespace}/${org.metadata.name}`);
    const template = warmTemplateHash(org, this.memberOptions(cluster));
    const usable = (pod: V1Pod) => {
      const member = pod.metadata?.labels?.[LABEL_WARM_MEMBER];
      return (
        member !== undefined && (!org.spec.editor.enabled || memberPassword(cluster, member) !== undefined)
      );
    };
    let tries = 0;
    for (const member of bindableMembers(members.filter(idle), template, usable)) {
      const uid = member.metadata?.uid as string;
      if (tries >= MAX_BIND_TRIES) break;
      if (!this.boundMembers.take(uid)) continue;
      tries++;
      try {
        const bound = await bindMember(cluster.client, task, member, attempt, cluster.remote, signal);
        if (!bound) continue;
        this.boundMembers.remember(`${task.metadata.uid}/${cluster.label}`, bound);
        return bound;
      } finally {
        this.boundMembers.release(uid);
      }
    }
    return undefined;
  }

  private memberOptions(cluster: OrgCluster): MemberRenderOptions {
    return {
      remote: cluster.remote,
      ...(this.d.agentImage ? { agentImage: this.d.agentImage } : {}),
      ...(this.d.editorImage ? { editorImage: this.d.editorImage } : {}),
    };
  }

  private async report(
    task: AgentTask,
    org: Org,
    cluster: OrgCluster,
    decision: TaskDecision,
    observed: TaskObservation,
    signal: AbortSignal,
    podRequeueMs: number | undefined,
  ): Promise<ReconcileResult> {
    // Read after the apply, not with the rest in observe: by then the cache may hold the Service it created.
    const service = org.spec.editor.enabled
      ? cluster.children.services.get(cluster.namespace, taskChildNames(task.metadata.name as string).service)
      : undefined;
    const placement = { cluster: cluster.label, namespace: cluster.namespace, service, pod: observed.pod };
    const report = decidedReport(task, org, decision, placement);
    if (podRequeueMs !== undefined) {
      report.requeueAfterMs = Math.min(report.requeueAfterMs ?? podRequeueMs, podRequeueMs);
    }
    // Agents removed while the Org was missing are back now that it is.
    if (agentsRemoved(task) && decision.children !== "none") {
      report.conditions = [...report.conditions, placedCondition(cluster.label)];
    }
    return this.status.report(task, report, signal);
  }

  /**
   * A deleted task: local children go with their owner; remote ones have no owner reference, so
   * they are deleted here by name, in the cluster the task recorded (the Org's, if it recorded
   * none yet), and only those whose labels and uid say they are this task's: a task that names
   * another Org, or carries this finalizer without ever having had remote children, deletes nothing
   * of anyone else's. The finalizer stays until that succeeded, or a person gave up on the cluster.
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
          // A task outside its Org's namespace is not the Org's: it deletes nothing, and its finalizer goes.
          if (org && namespaceMismatch(task, org)) return undefined;
          if (agentsRemoved(task)) return undefined;
          const label = task.status?.cluster ?? (org ? clusterLabelOf(org) : undefined);
          if (!label || label === "local") return undefined;
          const namespace = task.status?.namespace ?? (task.metadata.namespace as string);
          const at = { ...task, status: { ...task.status, cluster: label, namespace } };
          const removal = await this.removeAgents(at, org, "TaskDeleted", { log, signal });
          if (removal?.status !== "False") return undefined;
          await this.status.report(
            task,
            { status: { ...task.status, phase: task.status?.phase ?? "Pending" }, conditions: [removal] },
            signal,
          );
          return { requeueAfterMs: REMOVAL_RETRY_MS };
        },
      },
      { signal },
    );
  }
}
