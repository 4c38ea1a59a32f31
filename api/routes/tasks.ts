import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  AGENT_TASK_KIND,
  type AgentTask,
  API_VERSION,
  orgNamespace,
  type TaskPhase,
} from "../../schema/index.ts";
import {
  AgentTaskResourceSchema,
  TaskListQuerySchema,
  TaskListSchema,
  TaskLogQuerySchema,
  TaskLogSchema,
  TaskParamsSchema,
  TaskRefSchema,
} from "../../schema/rest.ts";
import type { Actor } from "../actor.ts";
import { KubeError } from "../kube.ts";
import { readTaskLog } from "../logs.ts";
import { COMMON_PROBLEMS, problemResponses } from "../openapi.ts";
import {
  readOrg,
  readTask,
  taskAttributes,
  taskNotFound,
  taskPath,
  withoutManagedFields,
} from "../resources.ts";

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
          withoutManagedFields({ ...item, apiVersion: API_VERSION, kind: AGENT_TASK_KIND } as AgentTask),
        );
    }
    next = list.metadata?.continue || undefined;
    if (!next || items.length >= query.limit) break;
  }
  return next ? { items, continue: next } : { items };
}

export const taskRoutes: FastifyPluginAsyncZod = async (app) => {
  const security = [{ bearer: [] }];

  app.get(
    "",
    {
      schema: {
        operationId: "listTasks",
        tags: ["tasks"],
        summary: "List tasks",
        description:
          "Tasks the caller may list, newest pages first as the API server orders them. With `org`, the tasks of that Org (the caller needs `get` on the Org and `list` on agenttasks in its namespace); without, of all namespaces (cluster-wide `list`). A page may hold fewer than `limit` tasks while `continue` is still set.",
        security,
        querystring: TaskListQuerySchema,
        response: { 200: TaskListSchema, ...problemResponses(...COMMON_PROBLEMS, 404, 410) },
      },
    },
    async (request) => listTasks(request.actor, request.query),
  );

  app.get(
    "/:namespace/:name",
    {
      schema: {
        operationId: "getTask",
        tags: ["tasks"],
        summary: "Read a task",
        security,
        params: TaskParamsSchema,
        response: { 200: AgentTaskResourceSchema, ...problemResponses(...COMMON_PROBLEMS, 404) },
      },
    },
    async (request) => {
      const { namespace, name } = request.params;
      return withoutManagedFields(await readTask(request.actor, namespace, name));
    },
  );

  app.post(
    "/:namespace/:name/cancel",
    {
      schema: {
        operationId: "cancelTask",
        tags: ["tasks"],
        summary: "Cancel a task",
        description:
          "Sets spec.cancel; the operator stops the agent and the task ends as Cancelled. Needs `patch` on the task.",
        security,
        params: TaskParamsSchema,
        response: {
          202: AgentTaskResourceSchema.describe("The task, with spec.cancel set."),
          ...problemResponses(...COMMON_PROBLEMS, 404),
        },
      },
    },
    async (request, reply) => {
      const { namespace, name } = request.params;
      await request.actor.authorize(taskAttributes("patch", namespace, name));
      try {
        const task = await request.actor.request<AgentTask>("PATCH", taskPath(namespace, name), {
          body: { spec: { cancel: true } },
          contentType: "application/merge-patch+json",
        });
        return reply.code(202).send(withoutManagedFields(task));
      } catch (err) {
        if (err instanceof KubeError && err.status === 404) throw taskNotFound(namespace, name);
        throw err;
      }
    },
  );

  app.delete(
    "/:namespace/:name",
    {
      schema: {
        operationId: "deleteTask",
        tags: ["tasks"],
        summary: "Delete a task",
        description:
          "Deletes the AgentTask; Kubernetes and the operator remove its agent afterwards. Needs `delete` on the task.",
        security,
        params: TaskParamsSchema,
        response: {
          202: TaskRefSchema.describe("Deletion started."),
          ...problemResponses(...COMMON_PROBLEMS, 404),
        },
      },
    },
    async (request, reply) => {
      const { namespace, name } = request.params;
      await request.actor.authorize(taskAttributes("delete", namespace, name));
      const task = await readTask(request.actor, namespace, name);
      await request.actor.request("DELETE", taskPath(namespace, name), {
        body: { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid: task.metadata.uid } },
      });
      return reply.code(202).send({ name, namespace, uid: task.metadata.uid as string });
    },
  );

  app.get(
    "/:namespace/:name/logs",
    {
      schema: {
        operationId: "getTaskLogs",
        tags: ["tasks"],
        summary: "Tail of the agent's log",
        description:
          "The end of the agent container's log (needs `list` pods and `get` pods/log in the namespace). When the pod's log is out of reach, the tail the agent reported in its state ConfigMap (needs `get` on that ConfigMap).",
        security,
        params: TaskParamsSchema,
        querystring: TaskLogQuerySchema,
        response: { 200: TaskLogSchema, ...problemResponses(...COMMON_PROBLEMS, 404, 501) },
      },
    },
    async (request) => {
      const { namespace, name } = request.params;
      return readTaskLog(request.actor, namespace, name, request.query.tailLines);
    },
  );
};
