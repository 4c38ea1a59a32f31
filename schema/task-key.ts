/**
 * A task's key, "<namespace>/<name>": the operator's work queue, its index of children by task and
 * the dashboard's live list all name a task by it. No imports, so the dashboard bundles it alone.
 */
export function taskKey(task: { metadata?: { namespace?: string; name?: string } }): string {
  return `${task.metadata?.namespace}/${task.metadata?.name}`;
}
