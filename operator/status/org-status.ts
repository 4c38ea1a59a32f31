import { ANNOTATION_ABANDON_CLEANUP, TERMINATING } from "../../schema/contract/index.ts";
import {
  type AgentTask,
  type Org,
  type OrgStatus,
  orgNamespace,
  PHASE_COUNT_KEY,
  TASK_PHASES,
  type TaskCounts,
} from "../../schema/index.ts";
import { type ConditionInput, kstatus } from "./conditions.ts";
import type { EventRule, StatusReport } from "./status-change.ts";

/** How often an Org is looked at again: its cluster's reachability and a rotated kubeconfig. */
export const ORG_RECHECK_MS = 60_000;
const UNREACHABLE_RECHECK_MS = 15_000;

export function countTasks(tasks: AgentTask[]): TaskCounts {
  const counts = Object.fromEntries(TASK_PHASES.map((p) => [PHASE_COUNT_KEY[p], 0])) as TaskCounts;
  for (const t of tasks) counts[PHASE_COUNT_KEY[t.status?.phase ?? "Pending"]]++;
  return counts;
}

/** What an Org's status says whatever its cluster answers: where its tasks run, and how many there are. */
export function orgStatusBase(org: Org, tasks: AgentTask[]): OrgStatus {
  return {
    namespace: orgNamespace(org),
    cluster: org.spec.cluster
      ? `${org.spec.cluster.kubeconfigSecretRef.namespace}/${org.spec.cluster.kubeconfigSecretRef.name}`
      : "local",
    tasks: countTasks(tasks),
  };
}

/** How far a reconcile of the Org got: whether its cluster answered, what the kstatus conditions say. */
export interface OrgOutcome {
  clusterReachable: boolean;
  conditions: ConditionInput[];
  requeueAfterMs: number;
  /**
   * The tenancy verdict, when this reconcile reached one: the detail condition TENANCY_CONDITION,
   * which the task reconciler follows. Without one the last verdict stands.
   */
  tenancy?: ConditionInput;
}

/**
 * Whether the Org reaches only what is its own (operator/tenancy.ts): True once its namespace and
 * Secrets were found to be its own, False with the refusal. Kept in the Org's status, so a restarted
 * operator knows it before it has looked again.
 */
export const TENANCY_CONDITION = "TenancyAdmitted";

const admitted: ConditionInput = {
  type: TENANCY_CONDITION,
  status: "True",
  reason: "OwnNamespace",
  message: "",
};

/** Stalled: a kubeconfig the policy refuses needs a person to change it; the recheck sees when they have. */
export function invalidKubeconfig(message: string): OrgOutcome {
  return {
    clusterReachable: false,
    conditions: kstatus("Stalled", "InvalidKubeconfig", message),
    requeueAfterMs: ORG_RECHECK_MS,
  };
}

/**
 * Stalled: the Org's spec reaches outside what is its own (see operator/tenancy.ts), and nothing of
 * it is applied until a person changes it.
 */
export function orgRefused(message: string): OrgOutcome {
  return {
    clusterReachable: false,
    conditions: kstatus("Stalled", "TenancyRefused", message),
    requeueAfterMs: ORG_RECHECK_MS,
    tenancy: { type: TENANCY_CONDITION, status: "False", reason: "TenancyRefused", message },
  };
}

export function clusterUnreachable(message: string): OrgOutcome {
  return {
    clusterReachable: false,
    conditions: kstatus("Reconciling", "ClusterUnreachable", message),
    requeueAfterMs: UNREACHABLE_RECHECK_MS,
  };
}

/** `why` is safe to show: for a remote cluster, described in the operator's words. Tenancy was checked before. */
export function namespaceApplyFailed(clusterLabel: string, why: string): OrgOutcome {
  const message = `applying the Org's namespace in cluster ${clusterLabel} failed: ${why}`;
  return {
    clusterReachable: true,
    conditions: kstatus("Reconciling", "ApplyFailed", message),
    requeueAfterMs: UNREACHABLE_RECHECK_MS,
    tenancy: admitted,
  };
}

/** The Org's Ready reason while its cluster lacks its agents' RuntimeClass: its new tasks wait. */
export const RUNTIME_CLASS_NOT_FOUND = "RuntimeClassNotFound";

/**
 * Stalled: the cluster has no RuntimeClass of the name the Org's agents run with, so every agent
 * pod would be refused at admission; a person installs it (or changes the Org), the recheck sees it.
 */
export function runtimeClassNotFound(clusterLabel: string, runtimeClassName: string): OrgOutcome {
  return {
    clusterReachable: true,
    conditions: kstatus(
      "Stalled",
      RUNTIME_CLASS_NOT_FOUND,
      `spec.agent.runtimeClassName: cluster ${clusterLabel} has no RuntimeClass ${runtimeClassName}: install the runtime and its RuntimeClass (e.g. gVisor's runsc), or remove the field`,
    ),
    requeueAfterMs: ORG_RECHECK_MS,
    tenancy: admitted,
  };
}

export function namespaceReady(clusterLabel: string, namespace: string): OrgOutcome {
  return {
    clusterReachable: true,
    conditions: kstatus("Ready", "Ready", `namespace ${namespace} is ready in cluster ${clusterLabel}`),
    requeueAfterMs: ORG_RECHECK_MS,
    tenancy: admitted,
  };
}

/** How often an Org being deleted looks again at what it waits for; its tasks' changes wake it sooner. */
export const TERMINATING_RECHECK_MS = 5_000;

/**
 * An Org being deleted, waiting for `reason`: Reconciling (kstatus reads a deleting object that
 * is still there as in progress), and the Terminating detail condition with the same message.
 */
export function terminating(clusterReachable: boolean, reason: string, message: string): OrgOutcome {
  return {
    clusterReachable,
    conditions: [
      ...kstatus("Reconciling", "Terminating", message),
      { type: TERMINATING, status: "True", reason, message },
    ],
    requeueAfterMs: TERMINATING_RECHECK_MS,
  };
}

/** What a deleting Org waits for: its tasks that have not ended or still have agents, counted. */
export function waitingForTasks(waiting: number, total: number, blocked: string | undefined): string {
  const counted = `deleting: ${waiting} of ${total} tasks have not ended or still have agents`;
  return blocked ? `${counted}; ${blocked}` : counted;
}

/** A deleting Org whose cluster did not let it delete its namespace's objects; `why` is in the operator's words. */
export function namespaceCleanupFailed(why: string): OrgOutcome {
  const message = `deleting the Org's objects in its cluster failed: ${why}; retrying. If that cluster is gone for good, annotate the Org with ${ANNOTATION_ABANDON_CLEANUP}=true`;
  return terminating(false, "ClusterUnreachable", message);
}

/** The Warning a person reads when the operator gave up on a deleted Org's cluster. */
export function namespaceCleanupAbandoned(org: Org, why: string): string {
  return `gave up on the Org's cluster (${ANNOTATION_ABANDON_CLEANUP} is "true"); its objects in namespace ${orgNamespace(org)} may be left there: ${why}`;
}

/** The detail condition ClusterReachable, beside the kstatus three, for `kubectl wait` and dashboards. */
export function reachability(reachable: boolean, conditions: ConditionInput[]): ConditionInput {
  if (reachable) return { type: "ClusterReachable", status: "True", reason: "Reachable", message: "" };
  const ready = conditions.find((c) => c.type === "Ready");
  return {
    type: "ClusterReachable",
    status: "False",
    reason: ready?.reason ?? "Unreachable",
    message: ready?.message ?? "",
  };
}

export function orgReport(base: OrgStatus, outcome: OrgOutcome): StatusReport<OrgStatus> {
  const { clusterReachable, conditions, requeueAfterMs, tenancy } = outcome;
  return {
    status: { ...base, clusterReachable },
    conditions: [...conditions, reachability(clusterReachable, conditions), ...(tenancy ? [tenancy] : [])],
    requeueAfterMs,
  };
}

/** An Event when the Org's readiness or its reason changes: Normal when it became ready, else a Warning. */
export const orgStatusEvent: EventRule<OrgStatus> = (before, _next, conditions) => {
  const ready = conditions.find((c) => c.type === "Ready");
  const previous = before?.conditions?.find((c) => c.type === "Ready");
  if (!ready || (ready.status === previous?.status && ready.reason === previous?.reason)) return undefined;
  return { type: ready.status === "True" ? "Normal" : "Warning", reason: ready.reason, note: ready.message };
};
