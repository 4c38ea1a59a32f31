import { AGENT_TASK_PLURAL, GROUP, ORG_PLURAL } from "../api.ts";
import { CHILD_KINDS, type ChildKind, type Verb } from "./kinds.ts";

/**
 * The operator's RBAC rules, generated from the table of child kinds and the operator's own needs.
 * The Helm chart (charts/generate.ts writes them into a template) and the cdk8s app both install
 * these, so the rights and the code that needs them cannot drift apart.
 */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: Verb[];
  /** Why the operator needs these verbs, one reason a line. */
  why: string[];
}

interface Grant {
  group: string;
  resource: string;
  verbs: readonly Verb[];
  why: string;
}

const VERB_ORDER: readonly Verb[] = ["get", "list", "watch", "create", "patch", "update", "delete"];

/** What the operator needs beyond the kinds it drives: its own resources and its Events. */
const OWN: Grant[] = [
  {
    group: GROUP,
    resource: ORG_PLURAL,
    verbs: ["get", "list", "watch", "patch"],
    why: "the Org informer; patch: the org-cleanup finalizer",
  },
  {
    group: GROUP,
    resource: AGENT_TASK_PLURAL,
    verbs: ["get", "list", "watch", "patch", "delete"],
    why: "the AgentTask informer; patch: the remote-cleanup finalizer; delete: ttlSecondsAfterFinished",
  },
  ...[ORG_PLURAL, AGENT_TASK_PLURAL].map((plural) => ({
    group: GROUP,
    resource: `${plural}/status`,
    verbs: ["patch"] as const,
    why: "status by server-side apply",
  })),
];

/** An Org's spec.agent.runtimeClassName must name a RuntimeClass of its cluster. */
const RUNTIME_CLASSES: Grant = {
  group: "node.k8s.io",
  resource: "runtimeclasses",
  verbs: ["get"],
  why: "get: the RuntimeClass an Org's agents run with exists",
};

/** An Org's Restricted egress policy allows its agents their cluster's API server, by address. */
const API_SERVER_ENDPOINTS: Grant = {
  group: "discovery.k8s.io",
  resource: "endpointslices",
  verbs: ["list"],
  why: "list: the endpoints of the kubernetes Service, which an Org's Restricted egress policy allows",
};

const EVENTS: Grant = {
  group: "events.k8s.io",
  resource: "events",
  verbs: ["create", "patch"],
  why: "Events on Orgs and tasks",
};

function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? (apiVersion.split("/")[0] as string) : "";
}

function childGrants(k: ChildKind): Grant[] {
  const grant = (verbs: readonly Verb[], why: string): Grant => ({
    group: groupOf(k.apiVersion),
    resource: k.plural,
    verbs,
    why,
  });
  const grants: Grant[] = [];
  if (k.informer) grants.push(grant(["list", "watch"], "list, watch: informers"));
  if (k.applied) {
    grants.push(
      grant(
        ["get", "create", "patch"],
        "get, create, patch: server-side apply (get compares first, so that a resync of an unchanged world writes nothing; an apply that creates needs create)",
      ),
    );
  }
  if (k.taskChild) {
    grants.push(
      grant(
        ["delete"],
        "delete: by name, a deleted task's children in an Org's own cluster, the agents of tasks whose Org goes or moves, and a deleted Org's objects",
      ),
    );
  }
  if (k.also) grants.push(grant(k.also.verbs, `${k.also.verbs.join(", ")} on ${k.plural}: ${k.also.why}`));
  return grants;
}

/**
 * Grants merged into rules: one rule per API group and set of verbs, its resources in the order
 * they first appear, so the chart reads like the hand-written rules it replaced.
 */
function toRules(grants: Grant[]): PolicyRule[] {
  const byResource = new Map<string, { group: string; resource: string; verbs: Set<Verb>; why: string[] }>();
  for (const g of grants) {
    const key = `${g.group}/${g.resource}`;
    const entry = byResource.get(key) ?? { group: g.group, resource: g.resource, verbs: new Set(), why: [] };
    for (const v of g.verbs) entry.verbs.add(v);
    if (!entry.why.includes(g.why)) entry.why.push(g.why);
    byResource.set(key, entry);
  }
  const rules = new Map<string, PolicyRule>();
  for (const { group, resource, verbs, why } of byResource.values()) {
    const ordered = VERB_ORDER.filter((v) => verbs.has(v));
    const key = `${group} ${ordered.join(",")}`;
    const rule = rules.get(key) ?? { apiGroups: [group], resources: [], verbs: ordered, why: [] };
    rule.resources.push(resource);
    for (const w of why) if (!rule.why.includes(w)) rule.why.push(w);
    rules.set(key, rule);
  }
  return [...rules.values()];
}

/** The operator's ClusterRole: cluster-wide, since an Org may name any namespace and its kubeconfig Secret may live in any. */
export function operatorRules(): PolicyRule[] {
  return toRules([
    ...OWN,
    ...CHILD_KINDS.flatMap(childGrants),
    RUNTIME_CLASSES,
    API_SERVER_ENDPOINTS,
    EVENTS,
  ]);
}

/** The operator's Role in its own namespace: the Lease its replicas elect a leader with. */
export function leaderElectionRules(): PolicyRule[] {
  return toRules([
    {
      group: "coordination.k8s.io",
      resource: "leases",
      verbs: ["get", "create", "update"],
      why: "leader election",
    },
  ]);
}
