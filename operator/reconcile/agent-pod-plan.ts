import type { V1Pod } from "@kubernetes/client-node";

/**
 * How long past the end of its grace period a deleted pod may wait for its kubelet: a kubelet that
 * has not confirmed by then is gone with its node, and the pod would be Terminating for ever.
 */
export const LOST_POD_AFTER_MS = 60_000;

export interface PodDeletion {
  pod: V1Pod;
  /** Grace period 0: the pod's node is lost, and nothing but the API server can end it. */
  force: boolean;
}

export interface AgentPodPlan {
  delete: PodDeletion[];
  /** Create the wanted pod: no pod of the task is left, so there are never two at once. */
  create: boolean;
  /** When a pod being deleted counts as lost, if one is still waiting for its kubelet. */
  requeueAfterMs?: number;
}

/** A Deployment's pod: its ReplicaSet, not the operator, makes and deletes it. */
export const ownedByReplicaSet = (pod: { metadata?: { ownerReferences?: { kind: string }[] } }) =>
  (pod.metadata?.ownerReferences ?? []).some((r) => r.kind === "ReplicaSet");

/** Terminal: with restartPolicy Always only the cluster ends a pod (an eviction, a node shutdown). */
const terminal = (pod: V1Pod) => pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded";

/**
 * What to do with a task's pods so that exactly its wanted bare Pod runs, kept pure. `wanted` is the
 * name of the attempt's pod, or undefined when none should run (the task stopped, or its Org's agents
 * run as Deployments). `pods` are the task's pods as the cache holds them.
 *
 * With a bare Pod, the operator is the pod's controller: every other pod of the task goes, the
 * wanted one goes when the cluster ended it, and the wanted one is created only once no pod of the
 * task is left (as a Deployment's Recreate strategy does: one workspace, one editor, one tailnet
 * node per task). A pod ended by the cluster is made again for the same attempt; the attempt is not
 * spent. With a Deployment, only bare pods are this plan's: its ReplicaSet owns the others.
 * `createdUncached`: this process created the wanted pod and its cache has not seen it yet, so it
 * is there: a create would only be refused.
 */
export function planAgentPods(
  wanted: string | undefined,
  workload: "Deployment" | "Pod",
  pods: V1Pod[],
  now: Date,
  createdUncached = false,
): AgentPodPlan {
  const ours = workload === "Pod" ? pods : pods.filter((p) => !ownedByReplicaSet(p));
  const plan: AgentPodPlan = { delete: [], create: false };
  let soonestLost = Number.POSITIVE_INFINITY;
  for (const pod of ours) {
    const deleting = pod.metadata?.deletionTimestamp;
    if (deleting) {
      const lostAt = new Date(deleting).getTime() + LOST_POD_AFTER_MS;
      if (now.getTime() >= lostAt) plan.delete.push({ pod, force: true });
      else soonestLost = Math.min(soonestLost, lostAt);
      continue;
    }
    if (pod.metadata?.name !== wanted || terminal(pod)) plan.delete.push({ pod, force: false });
  }
  if (soonestLost !== Number.POSITIVE_INFINITY) {
    plan.requeueAfterMs = Math.max(1_000, soonestLost - now.getTime());
  }
  plan.create = wanted !== undefined && workload === "Pod" && pods.length === 0 && !createdUncached;
  return plan;
}
