import { apply, deleteIfExists, needsApply } from "@agentyard/kube-runtime";
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  INFORMED_KINDS,
  type InformerField,
  TASK_CHILD_KINDS,
  taskChildNames,
} from "../../schema/contract/index.ts";
import type { ClusterTarget, OrgCluster } from "../clusters.ts";
import type { KubeObject } from "../render/object.ts";

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
 * Applies the objects that differ from their cached copies, in order; an unchanged world issues no
 * write. Returns how many were applied.
 */
export async function applyChildren(cluster: OrgCluster, objects: KubeObject[]): Promise<number> {
  let applied = 0;
  for (const obj of objects) {
    if (!needsApply(obj, liveChild(cluster, obj))) continue;
    await apply(cluster.client, obj);
    applied++;
  }
  return applied;
}

/**
 * Deletes a task's children by name, in the contract's order (the Deployment first, so the agent
 * stops before its rights go). Used where owner references do not reach: an Org's own cluster, and
 * tasks that stay while their agents go.
 */
export async function deleteTaskChildren(target: ClusterTarget, task: string): Promise<void> {
  const names = taskChildNames(task);
  for (const { apiVersion, kind, taskChild } of TASK_CHILD_KINDS) {
    await deleteIfExists(target.client, {
      apiVersion,
      kind,
      metadata: { name: names[taskChild], namespace: target.namespace },
    });
  }
}
