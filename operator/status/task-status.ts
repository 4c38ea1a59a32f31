import type { V1Pod, V1Service } from "@kubernetes/client-node";
import {
  AGENTS_REMOVED,
  ANNOTATION_ABANDON_CLEANUP,
  agentPodName,
  LABEL_WARM_MEMBER,
  TAILNET_READY,
  taskChildNames,
} from "../../schema/contract/index.ts";
import { ARG_MAX, EXEC_BUDGET, MAX_ARG_STRLEN } from "../../schema/exec-limits.ts";
import {
  type AgentTask,
  AgentTaskSchema,
  type AgentTaskStatus,
  formatIssues,
  type Org,
  orgNamespace,
} from "../../schema/index.ts";
import { agentExec, type EnvPart } from "../render/agent-exec.ts";
import { editorURL, localEditorAddress, tailnetEditorHost } from "../render/service.ts";
import { tailnetSidecar } from "../render/task.ts";
import { type ConditionInput, kstatus } from "./conditions.ts";
import { RUNTIME_CLASS_NOT_FOUND } from "./org-status.ts";
import type { EventRule, StatusReport } from "./status-change.ts";
import { noTailnetCondition, tailnetCondition } from "./tailnet.ts";
import type { TaskDecision, Withdrawal } from "./task-decision.ts";

/** Why the operator cannot work on a task until a person fixes it; the message names the fix. */
export interface Stall {
  reason: string;
  message: string;
}

export function orgNotFound(task: AgentTask): Stall {
  return {
    reason: "OrgNotFound",
    message: `Org "${task.spec.org}" does not exist: create it, or fix spec.org`,
  };
}

/** Namespace RBAC is the tenancy: a task outside its Org's namespace is not the Org's to run. */
export function namespaceMismatch(task: AgentTask, org: Org): Stall | undefined {
  const expected = orgNamespace(org);
  if (task.metadata.namespace === expected) return undefined;
  return {
    reason: "NamespaceMismatch",
    message: `tasks of Org "${task.spec.org}" live in namespace "${expected}", not "${task.metadata.namespace}": create the task there`,
  };
}

/** A node runs any image it has cached: a task may choose its image only where its Org allows it. */
export function imageOverrideRefused(task: AgentTask, org: Org): Stall | undefined {
  if (task.spec.agent?.image === undefined || org.spec.agent.allowImageOverride) return undefined;
  return {
    reason: "ImageOverrideRefused",
    message: `spec.agent.image: Org "${org.metadata.name}" does not let its tasks choose their image (its spec.agent.allowImageOverride is off): remove spec.agent.image`,
  };
}

const SET_BY: Record<EnvPart, string> = {
  operator: "agentyard's own variables (spec.prompt, spec.command)",
  org: "the Org's spec.agent.env",
  task: "the task's spec.agent.env",
};

/**
 * An agent whose environment and argv execve cannot take would fail every attempt with E2BIG. The CRD
 * holds each entry to MAX_ARG_STRLEN as written; only the operator sees the Org's env merged with the
 * task's and each `$(NAME)` expanded, so it refuses the rest here, before anything is applied.
 */
export function environmentTooLarge(task: AgentTask, org: Org): Stall | undefined {
  // The attempt's number is one of the variables: count the longest the task can reach.
  const exec = agentExec(task, org, task.spec.retries + 1);
  const { name, bytes, part } = exec.largest;
  if (bytes + 1 > MAX_ARG_STRLEN) {
    return {
      reason: "EnvironmentTooLarge",
      message: `${SET_BY[part]}: ${name} would be ${bytes + 1} bytes with its NUL once its $(NAME) references are expanded, more than the ${MAX_ARG_STRLEN} Linux takes in one environment entry: shrink ${name} or the variables it refers to`,
    };
  }
  if (exec.total <= EXEC_BUDGET) return undefined;
  return {
    reason: "EnvironmentTooLarge",
    message: `spec.agent.env: the agent's environment and argv would take ${exec.total} bytes, more than the ${EXEC_BUDGET} that execve leaves them (ARG_MAX ${ARG_MAX}, less room for what the image adds), so the agent could never start: the task's spec.agent.env takes ${exec.task}, the Org's spec.agent.env ${exec.org}, the prompt, command and agentyard's variables ${exec.operator}, argv ${exec.argv}; shrink the task's or the Org's env`,
  };
}

/** The Org reconciler refused the Org: nothing of its tasks runs until its spec is fixed. */
export function orgRefused(org: Org, refusal: string): Stall {
  return { reason: "OrgRefused", message: `Org "${org.metadata.name}" is Stalled: ${refusal}` };
}

export function invalidSpec(task: AgentTask): Stall | undefined {
  const valid = AgentTaskSchema.safeParse(task);
  if (valid.success) return undefined;
  const detail = formatIssues(valid.error).join("; ");
  return { reason: "InvalidSpec", message: `the task is invalid: ${detail}` };
}

export function stalled(task: AgentTask, stall: Stall): StatusReport<AgentTaskStatus> {
  return {
    status: { ...task.status, phase: task.status?.phase ?? "Pending", message: stall.message },
    conditions: kstatus("Stalled", stall.reason, stall.message),
  };
}

export function orgDeleted(task: AgentTask): Withdrawal {
  return { reason: "OrgDeleted", message: `cancelled: Org "${task.spec.org}" is being deleted` };
}

export function orgMissing(task: AgentTask): Withdrawal {
  return { reason: "OrgNotFound", message: orgNotFound(task).message };
}

/** A started task recorded a cluster its Org no longer names: its agent there goes, and it fails. */
export function clusterChanged(
  task: AgentTask,
  now: { label: string; namespace: string },
): Withdrawal | undefined {
  const s = task.status;
  if (!s?.cluster || (s.attempts ?? 0) === 0 || agentsRemoved(task)) return undefined;
  if (s.cluster === now.label && (s.namespace ?? now.namespace) === now.namespace) return undefined;
  return {
    reason: "ClusterChanged",
    message: `the Org's agents moved from cluster ${s.cluster} to ${now.label} while attempt ${s.attempts} ran: its agent was removed from ${s.cluster}; create a new task to run it again`,
  };
}

/** Whether the task's agents were removed for good (or given up on). */
export function agentsRemoved(task: AgentTask): boolean {
  return task.status?.conditions?.some((c) => c.type === AGENTS_REMOVED && c.status === "True") ?? false;
}

/** Where the task's agents may still be: the cluster it recorded, unless they were removed. */
export function agentsAt(task: AgentTask): { label: string; namespace: string } | undefined {
  const label = task.status?.cluster;
  if (!label || agentsRemoved(task)) return undefined;
  return { label, namespace: task.status?.namespace ?? (task.metadata.namespace as string) };
}

export function removedCondition(reason: string, label: string, namespace: string): ConditionInput {
  return {
    type: AGENTS_REMOVED,
    status: "True",
    reason,
    message: `the agent's objects were deleted from namespace ${namespace} in cluster ${label}`,
  };
}

/** `why` is in the operator's words. */
export function abandonedCondition(label: string, namespace: string, why: string): ConditionInput {
  return {
    type: AGENTS_REMOVED,
    status: "True",
    reason: "Abandoned",
    message: `cleanup gave up on cluster ${label} (${ANNOTATION_ABANDON_CLEANUP} is "true"): the agent's objects in namespace ${namespace} may be left there; it answered: ${why}`,
  };
}

/** `why` is in the operator's words. */
export function notRemovedCondition(label: string, namespace: string, why: string): ConditionInput {
  return {
    type: AGENTS_REMOVED,
    status: "False",
    reason: "ClusterUnreachable",
    message: `deleting the agent's objects in namespace ${namespace} of cluster ${label} failed: ${why}; retrying. If that cluster is gone for good, annotate the task or its Org with ${ANNOTATION_ABANDON_CLEANUP}=true`,
  };
}

/** A task whose agents were removed while its Org was missing runs again once its Org is back. */
export function placedCondition(label: string): ConditionInput {
  return {
    type: AGENTS_REMOVED,
    status: "False",
    reason: "Placed",
    message: `the agent runs in cluster ${label}`,
  };
}

/** How often removing a task's agents from a cluster that did not answer is tried again. */
export const REMOVAL_RETRY_MS = 15_000;

/**
 * The status of a task whose agents go: the decision, with what removing them did. Once they are
 * gone the status no longer names the Deployment, Service or editor; it keeps the cluster and
 * namespace they ran in, for the record.
 */
export function withdrawnReport(
  decision: TaskDecision,
  removal: ConditionInput | undefined,
): StatusReport<AgentTaskStatus> {
  const status = { ...decision.status };
  if (removal?.status !== "False") {
    delete status.deployment;
    delete status.pod;
    delete status.service;
    delete status.editorURL;
  }
  const requeueAfterMs = removal?.status === "False" ? REMOVAL_RETRY_MS : decision.requeueAfterMs;
  return {
    status,
    conditions: removal ? [...decision.conditions, removal] : decision.conditions,
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}

/** The Org reconciler resolves the cluster and wakes the task when it can; the requeue is a fallback. */
export function waitingForCluster(task: AgentTask, org: Org): StatusReport<AgentTaskStatus> {
  const why = org.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "not resolved yet";
  return {
    status: { ...task.status, phase: task.status?.phase ?? "Pending" },
    conditions: kstatus(
      "Reconciling",
      "WaitingForCluster",
      `waiting for the cluster of Org ${org.metadata.name}: ${why}`,
    ),
    requeueAfterMs: 10_000,
  };
}

/**
 * The Org's cluster lacks the RuntimeClass its agents run with: a task that has not started waits
 * (its pod would be refused at admission); one already running goes on as it is. The Org
 * reconciler wakes the Org's tasks once the RuntimeClass exists.
 */
export function waitingForRuntimeClass(task: AgentTask, org: Org): StatusReport<AgentTaskStatus> | undefined {
  const ready = org.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.reason !== RUNTIME_CLASS_NOT_FOUND || (task.status?.attempts ?? 0) > 0) return undefined;
  return {
    status: { ...task.status, phase: task.status?.phase ?? "Pending" },
    conditions: kstatus(
      "Reconciling",
      "WaitingForRuntimeClass",
      `waiting for Org ${org.metadata.name}: ${ready.message}`,
    ),
    requeueAfterMs: 60_000,
  };
}

/** The Org reconciler has not yet found the Org's namespace to be its own; it wakes the task when it has. */
export function waitingForOrg(task: AgentTask, org: Org): StatusReport<AgentTaskStatus> {
  return {
    status: { ...task.status, phase: task.status?.phase ?? "Pending" },
    conditions: kstatus(
      "Reconciling",
      "WaitingForOrg",
      `waiting for Org ${org.metadata.name} to be reconciled`,
    ),
    requeueAfterMs: 10_000,
  };
}

/** Where a task's children live, as read after they were applied. */
export interface TaskPlacement {
  /** The cluster's label: "local", or the kubeconfig Secret. */
  cluster: string;
  namespace: string;
  /** The live editor Service: the Tailscale operator publishes the editor's hostname on it. */
  service?: V1Service;
  /** The current attempt's pod: a pod run as a host process carries its loopback editor address. */
  pod?: V1Pod;
}

/**
 * The object that runs the agent: the Deployment, or the attempt's bare Pod while one should run —
 * the warm pool member bound to it, when it runs in one.
 */
function workloadStatus(
  task: AgentTask,
  org: Org,
  decision: TaskDecision,
  pod: V1Pod | undefined,
): AgentTaskStatus {
  const name = task.metadata.name as string;
  if (decision.children === "none") return {};
  if (org.spec.agent.workload === "Deployment") return { deployment: taskChildNames(name).deployment };
  if (decision.children === "stopped") return {};
  const member = pod?.metadata?.labels?.[LABEL_WARM_MEMBER] ? pod.metadata.name : undefined;
  return { pod: member ?? agentPodName(name, decision.status.attempts ?? 1) };
}

/** A TailnetReady condition from a sidecar the task no longer has turns False; a task that never had one gets none. */
function withoutTailnet(task: AgentTask, conditions: ConditionInput[]): ConditionInput[] {
  const earned = task.status?.conditions?.some((c) => c.type === TAILNET_READY);
  return earned ? [...conditions, noTailnetCondition()] : conditions;
}

/** The decided status, with where the children live and where a person opens the editor. */
export function decidedReport(
  task: AgentTask,
  org: Org,
  decision: TaskDecision,
  placement: TaskPlacement,
): StatusReport<AgentTaskStatus> {
  const names = taskChildNames(task.metadata.name as string);
  const children = decision.children !== "none";
  const editor = children && org.spec.editor.enabled;
  // In sidecar mode the editor's address is its tailnet name, and only once the node is up.
  const tailnet =
    editor && tailnetSidecar(org) ? tailnetCondition(placement.pod, tailnetEditorHost(task, org)) : undefined;
  const url =
    tailnet === undefined
      ? editorURL(task, org, placement.service, localEditorAddress(placement.pod))
      : tailnet.status === "True"
        ? editorURL(task, org, placement.service)
        : undefined;
  const { deployment: _, pod: __, workspace: ___, ...kept } = decision.status;
  const status: AgentTaskStatus = {
    ...kept,
    ...workloadStatus(task, org, decision, placement.pod),
    ...(children && org.spec.workspace.storage ? { workspace: names.workspace } : {}),
    cluster: placement.cluster,
    namespace: placement.namespace,
    ...(editor ? { service: names.service } : {}),
    ...(editor && url ? { editorURL: url } : {}),
  };
  if (editor && !url) delete status.editorURL;
  return {
    status,
    conditions: tailnet ? [...decision.conditions, tailnet] : withoutTailnet(task, decision.conditions),
    requeueAfterMs: decision.requeueAfterMs,
  };
}

/**
 * An Event on every phase change and on every new Ready reason within a phase (a retry, a stall);
 * a Warning when the task is stuck, failed, timed out or waiting to retry.
 */
export const taskStatusEvent: EventRule<AgentTaskStatus> = (before, next, conditions) => {
  const reason = conditions.find((c) => c.type === "Ready")?.reason;
  const previousReason = before?.conditions?.find((c) => c.type === "Ready")?.reason;
  if (before?.phase === next.phase && reason === previousReason) return undefined;
  const stalled = conditions.some((c) => c.type === "Stalled" && c.status === "True");
  const warning =
    stalled || next.phase === "Failed" || next.phase === "TimedOut" || reason === "RetryBackoff";
  return {
    type: warning ? "Warning" : "Normal",
    reason: reason ?? next.phase ?? "Pending",
    note: next.message ?? "",
  };
};
