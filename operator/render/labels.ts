export const LABEL_ORG = "agentyard.dev/org";
export const LABEL_TASK = "agentyard.dev/task";
export const LABEL_TASK_UID = "agentyard.dev/task-uid";
export const LABEL_COMPONENT = "app.kubernetes.io/component";
export const ANNOTATION_ATTEMPT = "agentyard.dev/attempt";

const COMMON = {
  "app.kubernetes.io/name": "agentyard",
  "app.kubernetes.io/managed-by": "agentyard",
} as const;

export function orgLabels(org: string): Record<string, string> {
  return { ...COMMON, [LABEL_ORG]: org };
}

/** Labels of every object a task owns: how the operator finds them in a remote cluster, without owner references. */
export function taskLabels(org: string, task: string, uid: string | undefined): Record<string, string> {
  return { ...orgLabels(org), [LABEL_TASK]: task, ...(uid ? { [LABEL_TASK_UID]: uid } : {}) };
}

/** The agent pods of a task; a Deployment selector is immutable, so it holds only what never changes. */
export function agentSelector(task: string): Record<string, string> {
  return { [LABEL_TASK]: task, [LABEL_COMPONENT]: "agent" };
}
