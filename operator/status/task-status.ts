import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { taskChildNames } from "../../schema/contract/index.ts";
import {
  type AgentTask,
  AgentTaskSchema,
  type AgentTaskStatus,
  formatIssues,
  type Org,
  orgNamespace,
} from "../../schema/index.ts";
import { editorURL, localEditorAddress } from "../render/service.ts";
import { kstatus } from "./conditions.ts";
import type { EventRule, StatusReport } from "./status-change.ts";
import type { TaskDecision } from "./task-decision.ts";

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
  return {
    status: {
      ...decision.status,
      cluster: placement.cluster,
      namespace: placement.namespace,
      ...(children ? { deployment: names.deployment } : {}),
      ...(editor
        ? {
            service: names.service,
            editorURL: editorURL(task, org, placement.service, localEditorAddress(placement.pod)),
          }
        : {}),
    },
    conditions: decision.conditions,
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
