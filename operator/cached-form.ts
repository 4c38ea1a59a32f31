import { stripManagedFields } from "@agentyard/kube-runtime";
import type { KubernetesObject } from "@kubernetes/client-node";

/**
 * What the operator's informers keep of a child. Every applied kind is compared field by field
 * with what the operator renders (needsApply), so it is kept whole but for managedFields; a Pod is
 * made by its ReplicaSet and read for its metadata and status only (pod-view, task-observation,
 * tailnet), so its spec, the largest part of it, is not kept.
 */
export function cachedChild(kind: string): (obj: KubernetesObject) => KubernetesObject {
  return kind === "Pod" ? podWithoutSpec : stripManagedFields;
}

function podWithoutSpec(obj: KubernetesObject): KubernetesObject {
  const { spec: _, ...rest } = stripManagedFields(obj) as KubernetesObject & { spec?: unknown };
  return rest;
}
