import { apply, needsApply } from "@agentyard/kube-runtime";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ChildInformers, OrgCluster } from "../clusters.ts";
import type { KubeObject } from "../render/object.ts";

const INFORMER_OF_KIND: Record<string, keyof ChildInformers> = {
  Deployment: "deployments",
  ConfigMap: "configMaps",
  Service: "services",
  Secret: "secrets",
  ServiceAccount: "serviceAccounts",
  Role: "roles",
  RoleBinding: "roleBindings",
};

/** The live copy of a rendered child, from the cluster's informer cache. */
export function liveChild(cluster: OrgCluster, obj: KubeObject): KubernetesObject | undefined {
  const informer = cluster.children[INFORMER_OF_KIND[obj.kind] as keyof ChildInformers];
  if (!informer) throw new Error(`no informer for ${obj.kind}`);
  return informer.get(obj.metadata.namespace, obj.metadata.name);
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
