import { KubeError, rfc3339, stripManagedFields } from "@agentyard/kube-runtime";
import { ANNOTATION_RESUMED_AT } from "../../schema/contract/index.ts";
import {
  AGENT_TASK_KIND,
  type AgentTask,
  API_VERSION,
  orgNamespace,
  type TaskPhase,
} from "../../schema/index.ts";
import type { TaskRef, TaskResumed } from "../../schema/rest.ts";
import type { Actor } from "../actor.ts";
import { readOrg, readTask, taskAttributes, taskNotFound, taskPath } from "../resources.ts";

/** A filtered page is filled from at most this many pages of the API server, then returned short. */
const MAX_UPSTREAM_PAGES = 10;

interface TaskList {
  items: AgentTask[];
  metadata?: { continue?: string };
}

export interface TaskQuery {
  org?: string;
  phase?: TaskPhase;
  limit: number;
  continue?: string;
}

/** A task without status has not been seen by the operator yet: it is Pending. */
function phaseOf(task: AgentTask): TaskPhase {
  return task.status?.phase ?? "Pending";
}

/**
 * One page of tasks, paged by the API server's own limit/continue. Filters the API server cannot
 * apply are applied here; a page is topped up from the following server pages, so a continue token
 * always points just after the last task looked at and no task is skipped or repeated.
 */
export async function listTasks(
  actor: Actor,
  query: TaskQuery,
): Promise<{ items: AgentTask[]; continue?: string }> {
  const namespace = query.org ? orgNamespace(await readOrg(actor, query.org)) : undefined;
  await actor.authorize(taskAttributes("list", namespace));
  const matches = (task: AgentTask) =>
    (!query.org || task.spec.org === query.org) && (!query.phase || phaseOf(task) === query.phase);

  const items: AgentTask[] = [];
  let next = query.continue;
  for (let page = 0; page < MAX_UPSTREAM_PAGES; page++) {
    const list = await actor.request<TaskList>("GET", taskPath(namespace), {
      query: { limit: query.limit - items.length, continue: next },
    });
    for (const item of list.items) {
      // Items of a list carry neither apiVersion nor kind.
      if (matches(item))
        items.push(
          stripManagedFields({ ...item, apiVersion: API_VERSION, kind: AGENT_TASK_KIND } as AgentTask),
        );
    }
    next = list.metadata?.continue || undefined;
    if (!next || items.length >= query.limit) break;
  }
  return next ? { items, continue: next } : { items };
}

/** Sets spec.cancel as the caller; the operator stops the agent. */
export async function cancelTask(actor: Actor, namespace: string, name: string): Promise<AgentTask> {
  return stripManagedFields(await patchTask(actor, namespace, name, { spec: { cancel: true } }));
}

/**
 * Asks for a suspended task back, as the caller, in one patch: spec.suspend false brings back a task
 * held by spec.suspend, and the resumed-at time counts as its editor's activity, which brings back a
 * finished task whose idle editor was stopped. The time is the api's clock, never the caller's. A
 * task that is not suspended is left as it is but for the annotation: resuming twice is harmless.
 */
export async function resumeTask(actor: Actor, namespace: string, name: string): Promise<TaskResumed> {
  const resumedAt = rfc3339(new Date());
  const task = await patchTask(actor, namespace, name, {
    metadata: { annotations: { [ANNOTATION_RESUMED_AT]: resumedAt } },
    spec: { suspend: false },
  });
  return { name, namespace, uid: task.metadata.uid as string, resumedAt };
}

/** One merge patch of an existing task, as the caller; a merge patch never creates one. */
async function patchTask(actor: Actor, namespace: string, name: string, patch: object): Promise<AgentTask> {
  await actor.authorize(taskAttributes("patch", namespace, name));
  try {
    return await actor.request<AgentTask>("PATCH", taskPath(namespace, name), {
      body: patch,
      contentType: "application/merge-patch+json",
    });
  } catch (err) {
    if (err instanceof KubeError && err.code === 404) throw taskNotFound(namespace, name);
    throw err;
  }
}

/** Deletes the task the caller read, and no later one of the same name (a uid precondition). */
export async function deleteTask(actor: Actor, namespace: string, name: string): Promise<TaskRef> {
  await actor.authorize(taskAttributes("delete", namespace, name));
  const task = await readTask(actor, namespace, name);
  await actor.request("DELETE", taskPath(namespace, name), {
    body: { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid: task.metadata.uid } },
  });
  return { name, namespace, uid: task.metadata.uid as string };
}
