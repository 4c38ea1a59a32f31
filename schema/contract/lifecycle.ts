/**
 * How an Org and its tasks end: the finalizers the operator sets, the condition that says whether a
 * task's agents were removed, and the annotation a person sets when a cluster is gone for good.
 */

/** On every Org: its tasks' agents and its namespace's objects go before the Org does. */
export const ORG_CLEANUP_FINALIZER = "agentyard.dev/org-cleanup";

/** On tasks whose agents run in an Org's own cluster: those have no owner reference to go with. */
export const REMOTE_CLEANUP_FINALIZER = "agentyard.dev/remote-cleanup";

/**
 * A task's detail condition: True once its agents were removed for good (its Org was deleted or is
 * missing, or its Org's cluster changed), False while removing them fails. A terminal task with
 * AgentsRemoved=True gets no agents again.
 */
export const AGENTS_REMOVED = "AgentsRemoved";

/**
 * A task's detail condition: True while its agent is held stopped with its workspace kept (reason
 * Suspended: spec.suspend; EditorIdle: a finished task's editor was idle), False (NotSuspended) once
 * a task that was suspended is no more. A task never suspended carries none.
 */
export const SUSPENDED = "Suspended";
export const SUSPENDED_REASON = {
  suspended: "Suspended",
  editorIdle: "EditorIdle",
  notSuspended: "NotSuspended",
} as const;

/** An Org's detail condition while it is being deleted: what it still waits for. */
export const TERMINATING = "Terminating";

/**
 * Set to "true" on a task or its Org when the cluster its agents ran in is gone for good: cleanup
 * that cannot reach that cluster gives up, says what may be left there, and lets the object go.
 */
export const ANNOTATION_ABANDON_CLEANUP = "agentyard.dev/abandon-cleanup";

/** Whether a person told the operator to stop trying to reach a gone cluster for this object. */
export function cleanupAbandoned(
  ...objects: ({ metadata?: { annotations?: Record<string, string> } } | undefined)[]
): boolean {
  return objects.some((o) => o?.metadata?.annotations?.[ANNOTATION_ABANDON_CLEANUP] === "true");
}
