import type { KubernetesObject } from "@kubernetes/client-node";
import { LABEL_MANAGED_BY, LABEL_ORG, MANAGED_BY } from "../schema/contract/index.ts";
import { type AgentTask, type Org, orgNamespace } from "../schema/index.ts";
import { orgSecrets } from "./render/org.ts";

/**
 * A task acts only inside its own Org: the rules that keep one Org's spec from reaching another
 * Org's namespace, the operator's, or Secrets the platform team did not put out for Orgs. Pure: the
 * Org reconciler judges with them before it applies anything, and the task reconciler follows its
 * verdict, the Org's TenancyAdmitted condition.
 */

/** What the platform team told the operator, with its flags. */
export interface TenancyPolicy {
  /** The operator's own namespaces (where it runs, its Lease): never an Org's. */
  operatorNamespaces: readonly string[];
  /** The only namespaces an Org's kubeconfig and git credentials Secrets may be read from. */
  secretNamespaces: readonly string[];
}

function olderFirst(a: Org, b: Org): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1;
}

function designated(policy: TenancyPolicy): string {
  return policy.secretNamespaces.length > 0 ? policy.secretNamespaces.join(", ") : "none";
}

/**
 * Why the Org may not have what its spec names, judged from its spec and the other Orgs alone
 * (before its cluster is reached); undefined when it may. Of several Orgs naming one namespace,
 * the oldest keeps it, so both Orgs' reconciles reach the same answer.
 */
export function orgSpecRefusal(org: Org, orgs: readonly Org[], policy: TenancyPolicy): string | undefined {
  const namespace = orgNamespace(org);
  if (policy.operatorNamespaces.includes(namespace)) {
    return `namespace ${namespace} is the operator's own: choose another spec.namespace`;
  }
  if (policy.secretNamespaces.includes(namespace)) {
    return `namespace ${namespace} holds the Secrets of every Org (the operator's --secret-namespaces): choose another spec.namespace`;
  }
  const holder = orgs.filter((o) => orgNamespace(o) === namespace).sort(olderFirst)[0];
  if (holder && holder.metadata.name !== org.metadata.name) {
    return `namespace ${namespace} is the namespace of Org ${holder.metadata.name}, and two Orgs cannot share one: choose another spec.namespace`;
  }
  const kubeconfig = org.spec.cluster?.kubeconfigSecretRef.namespace;
  if (kubeconfig !== undefined && !policy.secretNamespaces.includes(kubeconfig)) {
    return `spec.cluster.kubeconfigSecretRef.namespace ${kubeconfig} is not a namespace designated for Org Secrets (${designated(policy)}): put the kubeconfig Secret in one of them`;
  }
  const sources = new Map<string, { field: string; from: string }>();
  for (const { field, ref } of orgSecrets(org)) {
    const from = ref.namespace ?? namespace;
    if (from !== namespace && !policy.secretNamespaces.includes(from)) {
      return `${field}.namespace ${from} is not a namespace designated for Org Secrets (${designated(policy)}): put the Secret in one of them, or in the Org's namespace and leave namespace out`;
    }
    const other = sources.get(ref.name);
    if (other && other.from !== from) {
      return `${other.field} and ${field} both name a Secret ${ref.name}, from namespaces ${other.from} and ${from}: the Org's namespace holds one Secret of that name, so rename one of them`;
    }
    sources.set(ref.name, { field, from });
  }
  return undefined;
}

/** Whether agentyard made the object for this Org: its labels say so. */
export function isOrgsOwn(obj: KubernetesObject, org: Org): boolean {
  const labels = obj.metadata?.labels ?? {};
  return labels[LABEL_MANAGED_BY] === MANAGED_BY && labels[LABEL_ORG] === org.metadata.name;
}

/**
 * Why a namespace that exists cannot become the Org's: agentyard did not make it for this Org (a
 * namespace of people's own, or one left by another Org). undefined when it is the Org's, or absent.
 */
export function existingNamespaceRefusal(
  org: Org,
  namespace: KubernetesObject | undefined,
  clusterLabel: string,
): string | undefined {
  if (!namespace || isOrgsOwn(namespace, org)) return undefined;
  return `namespace ${namespace.metadata?.name} already exists in cluster ${clusterLabel} and was not made by agentyard for Org ${org.metadata.name}: an Org takes only a namespace of its own; choose another spec.namespace`;
}

/** An Org's tasks are those in its namespace: a task elsewhere that names the Org is not its. */
export function tasksInOrg(tasks: readonly AgentTask[], org: Org): AgentTask[] {
  const namespace = orgNamespace(org);
  return tasks.filter((t) => t.metadata.namespace === namespace);
}
