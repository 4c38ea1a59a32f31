import { KubeError } from "@agentyard/kube-runtime";
import { GROUP, type Org, orgNamespace } from "../../schema/index.ts";
import type { Whoami } from "../../schema/rest.ts";
import type { Actor } from "../actor.ts";
import { orgAttributes, orgPath, taskAttributes } from "../resources.ts";
import type { ResourceAttributes } from "../review.ts";

/** The dashboard asks about this many Orgs at most; each costs a few access reviews. */
const MAX_ORGS = 100;

interface RulesReview {
  status?: {
    resourceRules?: {
      verbs: string[];
      apiGroups?: string[];
      resources?: string[];
      resourceNames?: string[];
    }[];
  };
}

/** Asks the API server, as the caller, whether the caller may do one thing (SelfSubjectAccessReview). */
async function may(actor: Actor, attributes: ResourceAttributes): Promise<boolean> {
  const review = await actor.request<{ status?: { allowed?: boolean } }>(
    "POST",
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    {
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: attributes },
      },
    },
  );
  return review.status?.allowed === true;
}

const matches = (list: string[] | undefined, value: string) =>
  !list || list.includes("*") || list.includes(value);

/**
 * The Orgs a caller may read. Those who may list Orgs get the list; a tenant granted `get` on named
 * Orgs only cannot list them, so the names come from the caller's own rules (SelfSubjectRulesReview).
 */
async function visibleOrgs(actor: Actor, listOrgs: boolean): Promise<Org[] | string[]> {
  if (listOrgs) {
    const list = await actor.request<{ items: Org[] }>("GET", orgPath(), { query: { limit: MAX_ORGS } });
    return list.items;
  }
  const review = await actor.request<RulesReview>(
    "POST",
    "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
    {
      // Cluster-wide rules appear in the review of any namespace.
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectRulesReview",
        spec: { namespace: "default" },
      },
    },
  );
  const names = new Set<string>();
  for (const rule of review.status?.resourceRules ?? []) {
    if (!matches(rule.apiGroups, GROUP) || !matches(rule.resources, "orgs") || !matches(rule.verbs, "get"))
      continue;
    for (const name of rule.resourceNames ?? []) names.add(name);
  }
  return [...names].sort().slice(0, MAX_ORGS);
}

/** An Org read as the caller; undefined when it is gone or the caller's rule names an Org it may not read. */
async function readVisible(actor: Actor, name: string): Promise<Org | undefined> {
  try {
    return await actor.request<Org>("GET", orgPath(name));
  } catch (err) {
    if (err instanceof KubeError && (err.code === 404 || err.code === 403)) return undefined;
    throw err;
  }
}

/**
 * Who the caller is and what the caller may do in each Org it may read, asked of the API server as
 * the caller, so that a client can disable what RBAC would refuse.
 */
export async function whoami(actor: Actor): Promise<Whoami> {
  const [listOrgs, watchOrgs, watchAllTasks] = await Promise.all([
    may(actor, orgAttributes("list")),
    may(actor, orgAttributes("watch")),
    may(actor, taskAttributes("watch")),
  ]);
  const found = await visibleOrgs(actor, listOrgs);
  const orgs = (
    await Promise.all(found.map((org) => (typeof org === "string" ? readVisible(actor, org) : org)))
  ).filter((org): org is Org => org !== undefined);

  const can: Whoami["can"] = {
    listOrgs: listOrgs && watchOrgs,
    watchAllTasks,
    watch: {},
    schedule: {},
    cancel: {},
    resume: {},
    delete: {},
    logs: {},
    events: {},
  };
  await Promise.all(
    orgs.map(async (org) => {
      const name = org.metadata.name as string;
      const namespace = orgNamespace(org);
      const [watch, schedule, patch, remove, podLogs, stateLogs, events] = await Promise.all([
        may(actor, taskAttributes("watch", namespace)),
        may(actor, taskAttributes("create", namespace)),
        may(actor, taskAttributes("patch", namespace)),
        may(actor, taskAttributes("delete", namespace)),
        may(actor, { verb: "get", group: "", resource: "pods", subresource: "log", namespace }),
        // The log endpoint falls back to the tail the agent keeps in its state ConfigMap.
        may(actor, { verb: "get", group: "", resource: "configmaps", namespace }),
        may(actor, { verb: "list", group: "", resource: "events", namespace }),
      ]);
      can.watch[name] = watch;
      can.schedule[name] = schedule;
      can.cancel[name] = patch;
      can.resume[name] = patch;
      can.delete[name] = remove;
      can.logs[name] = podLogs || stateLogs;
      can.events[name] = events;
    }),
  );
  const caller = actor.caller;
  return {
    user: caller
      ? { username: caller.username, ...(caller.uid ? { uid: caller.uid } : {}), groups: caller.groups }
      : null,
    orgs: orgs.map((org) => org.metadata.name as string).sort(),
    namespaces: Object.fromEntries(orgs.map((org) => [org.metadata.name as string, orgNamespace(org)])),
    can,
  };
}
