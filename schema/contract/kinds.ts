import type { TaskChild } from "./names.ts";

/**
 * Every kind the operator watches, applies or deletes in the clusters it drives: its informers,
 * its look-ups of live children, its cleanup and its RBAC rules derive from this table. In the
 * order a remote task's children are deleted: the Deployment first, so that the agent stops before
 * its rights go.
 */
export const CHILD_KINDS = [
  {
    kind: "Deployment",
    apiVersion: "apps/v1",
    plural: "deployments",
    informer: "deployments",
    applied: true,
    taskChild: "deployment",
  },
  {
    kind: "Pod",
    apiVersion: "v1",
    plural: "pods",
    informer: "pods",
    applied: false,
    also: {
      verbs: ["create", "patch", "delete"],
      why: "the agent Pod of each attempt of an Org with spec.agent.workload Pod: created, deleted when the task stops or moves to a Deployment, and made again when it was evicted or its node lost; an Org's warm pool members: created, bound to a task by a patch of their labels and owner, deleted when idle and stale",
    },
  },
  {
    kind: "PersistentVolumeClaim",
    apiVersion: "v1",
    plural: "persistentvolumeclaims",
    informer: "persistentVolumeClaims",
    applied: true,
    taskChild: "workspace",
  },
  {
    kind: "Service",
    apiVersion: "v1",
    plural: "services",
    informer: "services",
    applied: true,
    taskChild: "service",
  },
  {
    kind: "Secret",
    apiVersion: "v1",
    plural: "secrets",
    informer: "secrets",
    applied: true,
    taskChild: "editorSecret",
    also: {
      verbs: ["get"],
      why: "Orgs' kubeconfigs, and git credentials copied into an Org's own cluster",
    },
  },
  {
    kind: "ConfigMap",
    apiVersion: "v1",
    plural: "configmaps",
    informer: "configMaps",
    applied: true,
    taskChild: "stateConfigMap",
    also: {
      verbs: ["update"],
      why: "each task's Role grants its agent update on its state ConfigMap, and RBAC lets the operator grant only verbs it holds itself",
    },
  },
  {
    kind: "RoleBinding",
    apiVersion: "rbac.authorization.k8s.io/v1",
    plural: "rolebindings",
    informer: "roleBindings",
    applied: true,
    taskChild: "roleBinding",
  },
  {
    kind: "Role",
    apiVersion: "rbac.authorization.k8s.io/v1",
    plural: "roles",
    informer: "roles",
    applied: true,
    taskChild: "role",
  },
  {
    kind: "ServiceAccount",
    apiVersion: "v1",
    plural: "serviceaccounts",
    informer: "serviceAccounts",
    applied: true,
    taskChild: "serviceAccount",
  },
  { kind: "Namespace", apiVersion: "v1", plural: "namespaces", applied: true },
  {
    kind: "NetworkPolicy",
    apiVersion: "networking.k8s.io/v1",
    plural: "networkpolicies",
    applied: true,
    also: { verbs: ["delete"], why: "a deleted Org's NetworkPolicy" },
  },
] as const satisfies readonly ChildKind[];

export type Verb = "get" | "list" | "watch" | "create" | "patch" | "update" | "delete";

export interface ChildKind {
  kind: string;
  apiVersion: string;
  plural: string;
  /** The field of the operator's child informers that caches this kind, in every cluster it drives. */
  informer?: string;
  /** The operator server-side applies objects of this kind. */
  applied: boolean;
  /**
   * The task's one object of this kind, by its key in taskChildNames. Children in an Org's own
   * cluster have no owner reference, so a deleted task's cleanup deletes them by this name.
   */
  taskChild?: TaskChild;
  /** Verbs beyond what watching, applying and deleting need, and why. */
  also?: { verbs: readonly Verb[]; why: string };
}

type Entry = (typeof CHILD_KINDS)[number];
export type InformedKind = Extract<Entry, { informer: string }>;
export type InformerField = InformedKind["informer"];
export type TaskChildKind = Extract<Entry, { taskChild: TaskChild }>;

export const INFORMED_KINDS: readonly InformedKind[] = CHILD_KINDS.filter(
  (k): k is InformedKind => "informer" in k,
);
export const TASK_CHILD_KINDS: readonly TaskChildKind[] = CHILD_KINDS.filter(
  (k): k is TaskChildKind => "taskChild" in k,
);
