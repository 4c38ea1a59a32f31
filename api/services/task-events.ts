import { AGENT_TASK_KIND } from "../../schema/index.ts";
import type { TaskEvent } from "../../schema/rest.ts";
import type { Actor } from "../actor.ts";
import { readTask } from "../resources.ts";

/** core/v1 Event: the view of Events every RBAC setup grants (`view` included), whoever wrote them. */
interface CoreEvent {
  type?: string;
  reason?: string;
  action?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  reportingComponent?: string;
  source?: { component?: string };
}

/**
 * An Event in the one shape the dashboard shows, whether an events.k8s.io writer (eventTime, series,
 * reportingComponent) or a core/v1 one (timestamps, count, source) recorded it.
 */
export function toTaskEvent(event: CoreEvent): TaskEvent {
  const firstTime = event.firstTimestamp || event.eventTime || undefined;
  const lastTime = event.series?.lastObservedTime || event.lastTimestamp || firstTime;
  const source = event.reportingComponent || event.source?.component || undefined;
  return {
    type: event.type ?? "Normal",
    reason: event.reason ?? "",
    ...(event.action ? { action: event.action } : {}),
    message: event.message ?? "",
    count: event.series?.count ?? event.count ?? 1,
    ...(firstTime ? { firstTime } : {}),
    ...(lastTime ? { lastTime } : {}),
    ...(source ? { source } : {}),
  };
}

/** The Kubernetes Events about a task, oldest first, read as the caller. */
export async function listTaskEvents(
  actor: Actor,
  namespace: string,
  name: string,
): Promise<{ items: TaskEvent[] }> {
  const task = await readTask(actor, namespace, name);
  await actor.authorize({ verb: "list", group: "", resource: "events", namespace });
  // By uid too: Events of an earlier task of the same name are not this task's.
  const fieldSelector = [
    `involvedObject.kind=${AGENT_TASK_KIND}`,
    `involvedObject.name=${name}`,
    `involvedObject.uid=${task.metadata.uid}`,
  ].join(",");
  const list = await actor.request<{ items: CoreEvent[] }>(
    "GET",
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
    { query: { fieldSelector } },
  );
  const items = list.items.map(toTaskEvent);
  items.sort((a, b) => (a.lastTime ?? "").localeCompare(b.lastTime ?? ""));
  return { items };
}
