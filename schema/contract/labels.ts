/**
 * Labels and annotations on the objects agentyard makes. The operator writes them and finds its
 * children by them; the api and the tests select agent pods by them; the devcluster's node agent
 * annotates pods it runs.
 */

export const LABEL_ORG = "agentyard.dev/org";
export const LABEL_TASK = "agentyard.dev/task";
export const LABEL_TASK_UID = "agentyard.dev/task-uid";
export const LABEL_COMPONENT = "app.kubernetes.io/component";
export const LABEL_NAME = "app.kubernetes.io/name";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";

/** The attempt an agent pod runs, on its template: a new attempt rolls the pod. */
export const ANNOTATION_ATTEMPT = "agentyard.dev/attempt";

/**
 * Pods on a node that runs them as host processes (the devcluster's agentyard-local) publish the
 * loopback address each container port got, as JSON keyed by the port's name.
 */
export const LOCAL_PORTS_ANNOTATION = "agentyard.dev/local-ports";

/**
 * Who created a task through the api, as the API server authenticated them: their username and uid
 * (the uid is absent for identities without one). A retry under an Idempotency-Key gets the task
 * back only when it comes from this same identity.
 */
export const ANNOTATION_CREATED_BY = "agentyard.dev/created-by";
export const ANNOTATION_CREATED_BY_UID = "agentyard.dev/created-by-uid";

/** A label selector in the API server's query syntax. */
export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** The value of LABEL_MANAGED_BY on everything the operator makes. */
export const MANAGED_BY = "agentyard";

/** Labels on everything the operator makes. */
export const MANAGED_LABELS = { [LABEL_NAME]: "agentyard", [LABEL_MANAGED_BY]: MANAGED_BY } as const;

/** Only what agentyard made: every child carries this label, so informers never see other objects. */
export const MANAGED_SELECTOR = selectorString({ [LABEL_MANAGED_BY]: MANAGED_BY });

export function orgLabels(org: string): Record<string, string> {
  return { ...MANAGED_LABELS, [LABEL_ORG]: org };
}

/** Labels of every object a task owns: how the operator finds them in a remote cluster, without owner references. */
export function taskLabels(org: string, task: string, uid: string | undefined): Record<string, string> {
  return { ...orgLabels(org), [LABEL_TASK]: task, ...(uid ? { [LABEL_TASK_UID]: uid } : {}) };
}

/** The values of LABEL_COMPONENT on a task's and an Org's objects. */
export const COMPONENT = {
  agent: "agent",
  editor: "editor",
  state: "state",
  gitCredentials: "git-credentials",
  agentCredentials: "agent-credentials",
  tailnetKey: "tailnet-key",
  workspace: "workspace",
  /** An idle warm pool member, and what was made for it (LABEL_WARM_MEMBER names which). */
  warm: "warm",
} as const;

/**
 * On a task's workspace PersistentVolumeClaim: the Org's spec.workspace.storage.reclaimPolicy when it
 * was applied. A claim that says Retain outlives its task: it has no owner reference, and a remote
 * cleanup leaves it.
 */
export const ANNOTATION_RECLAIM_POLICY = "agentyard.dev/reclaim-policy";

/**
 * On an AgentTask: when someone last asked to resume it (the api's resume, the dashboard's Resume).
 * An idle editor counts its idle time from here too, so a resumed finished task comes back.
 */
export const ANNOTATION_RESUMED_AT = "agentyard.dev/resumed-at";

/** The agent pods of a task; a Deployment selector is immutable, so it holds only what never changes. */
export function agentSelector(task: string): Record<string, string> {
  return { [LABEL_TASK]: task, [LABEL_COMPONENT]: COMPONENT.agent };
}
