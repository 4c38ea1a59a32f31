import { apply, deleteIfExists, getIfExists, needsApply } from "@agentyard/kube-runtime";
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  ANNOTATION_RECLAIM_POLICY,
  INFORMED_KINDS,
  type InformerField,
  LABEL_ORG,
  LABEL_TASK,
  LABEL_TASK_UID,
  LABEL_WARM_MEMBER,
  TASK_CHILD_KINDS,
  taskChildNames,
} from "../../schema/contract/index.ts";
import { AGENT_TASK_KIND, type AgentTask } from "../../schema/index.ts";
import type { ClusterTarget, OrgCluster } from "../clusters.ts";
import type { KubeObject } from "../render/object.ts";
import { ownedByReplicaSet } from "./agent-pod-plan.ts";

const INFORMER_OF_KIND = new Map<string, InformerField>(
  INFORMED_KINDS.filter((k) => k.applied).map((k) => [k.kind, k.informer]),
);

/** The live copy of a rendered child, from the cluster's informer cache. */
export function liveChild(cluster: OrgCluster, obj: KubeObject): KubernetesObject | undefined {
  const field = INFORMER_OF_KIND.get(obj.kind);
  if (!field) throw new Error(`no informer for ${obj.kind}`);
  return cluster.children[field].get(obj.metadata.namespace, obj.metadata.name);
}

/**
 * When a kind is applied: a RoleBinding after its Role (RBAC refuses a binding to a Role that does
 * not exist, unless the one who binds holds `bind`, which the operator does not), the Deployment
 * after everything its pod needs (the API server admits a pod only with its ServiceAccount, and the
 * kubelet starts it only with its Secret). Kinds not named are applied first.
 */
const APPLY_STAGE: Record<string, number> = { RoleBinding: 1, Deployment: 2 };

/**
 * Applies the objects that differ from their cached copies, stage by stage and all of a stage at
 * once, so a reconcile waits for three round trips, not one per object. An unchanged world issues
 * no write. Every apply of a stage runs to its end before its first failure is thrown, so a retry
 * finds the others done. Returns how many were applied.
 */
export async function applyChildren(
  cluster: OrgCluster,
  objects: KubeObject[],
  signal?: AbortSignal,
): Promise<number> {
  const changed = objects.filter((obj) => needsApply(obj, liveChild(cluster, obj)));
  const stages = [...new Set(changed.map(stageOf))].sort((a, b) => a - b);
  for (const stage of stages) {
    const applies = changed
      .filter((obj) => stageOf(obj) === stage)
      .map((obj) => apply(cluster.client, obj, { signal }));
    const failed = (await Promise.allSettled(applies)).find(
      (r): r is PromiseRejectedResult => r.status === "rejected",
    );
    if (failed) throw failed.reason;
  }
  return changed.length;
}

/**
 * A warm pool member's binding starts the task in a pod that runs already: it comes last, as the
 * Deployment does, once the RoleBinding lets the member write the task's state.
 */
export const stageOf = (obj: KubeObject) =>
  obj.kind === "ConfigMap" && obj.metadata.labels?.[LABEL_WARM_MEMBER] ? 2 : (APPLY_STAGE[obj.kind] ?? 0);

/**
 * Whether a live object is this task's child: its labels name the task's Org, name and uid, and an
 * AgentTask owning it is this one. A same-named object of another task, another Org or a person is not.
 */
export function isChildOf(obj: KubernetesObject, task: AgentTask): boolean {
  const uid = task.metadata.uid;
  const labels = obj.metadata?.labels ?? {};
  if (!uid || labels[LABEL_TASK_UID] !== uid) return false;
  if (labels[LABEL_TASK] !== task.metadata.name || labels[LABEL_ORG] !== task.spec.org) return false;
  const owners = (obj.metadata?.ownerReferences ?? []).filter((r) => r.kind === AGENT_TASK_KIND);
  return owners.every((r) => r.uid === uid);
}

/**
 * Deletes a task's children, those that are its own only (isChildOf), each conditioned on the uid
 * that was checked: its bare agent Pods by its uid's label, then the rest by name in the contract's
 * order (the Deployment first, so the agent stops before its rights go). Used where owner
 * references do not reach: an Org's own cluster, and tasks that stay while their agents go.
 * Returns how many were deleted.
 */
export async function deleteTaskChildren(
  target: ClusterTarget,
  task: AgentTask,
  signal?: AbortSignal,
): Promise<number> {
  const names = taskChildNames(task.metadata.name as string);
  let deleted = await deleteBarePods(target, task, signal);
  for (const { apiVersion, kind, taskChild } of TASK_CHILD_KINDS) {
    const ref = objectRef(apiVersion, kind, target.namespace, names[taskChild]);
    const live = await getIfExists<KubernetesObject>(target.client, ref, { signal });
    if (!live || !isChildOf(live, task) || retained(live)) continue;
    if (await deleteIfExists(target.client, ref, { uid: live.metadata?.uid as string, signal })) deleted++;
  }
  return deleted;
}

/** A workspace claim the Org retains outlives its task (spec.workspace.storage.reclaimPolicy Retain). */
function retained(obj: KubernetesObject): boolean {
  return obj.metadata?.annotations?.[ANNOTATION_RECLAIM_POLICY] === "Retain";
}

/** The task's agent Pods that no ReplicaSet owns (spec.agent.workload Pod); a Deployment's go with it. */
async function deleteBarePods(target: ClusterTarget, task: AgentTask, signal?: AbortSignal): Promise<number> {
  const uid = task.metadata.uid;
  if (!uid) return 0;
  const list = await target.client.request<{ items: KubernetesObject[] }>(
    "GET",
    `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods`,
    { signal, query: { labelSelector: `${LABEL_TASK_UID}=${uid}` } },
  );
  let deleted = 0;
  for (const pod of list.items) {
    if (!isChildOf(pod, task) || ownedByReplicaSet(pod)) continue;
    const ref = objectRef("v1", "Pod", target.namespace, pod.metadata?.name);
    if (await deleteIfExists(target.client, ref, { uid: pod.metadata?.uid as string, signal })) deleted++;
  }
  return deleted;
}

/** What a get or delete names an object by. */
export const objectRef = (apiVersion: string, kind: string, namespace: string, name: string | undefined) => ({
  apiVersion,
  kind,
  metadata: { name: name as string, namespace },
});
