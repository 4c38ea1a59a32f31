import { stripManagedFields } from "@agentyard/kube-runtime";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { z } from "zod";
import {
  AgentTaskResourceSchema,
  ResumeRequestSchema,
  TaskListQuerySchema,
  TaskListSchema,
  TaskLogQuerySchema,
  TaskLogSchema,
  TaskParamsSchema,
  TaskRefSchema,
  TaskResumedSchema,
} from "../../schema/rest.ts";
import type { Actor } from "../actor.ts";
import { readTaskLog } from "../logs.ts";
import { BEARER, COMMON_PROBLEMS, problemResponses } from "../openapi.ts";
import { readTask } from "../resources.ts";
import { cancelTask, deleteTask, listTasks, resumeTask } from "../services/tasks.ts";

export const taskRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "",
    {
      schema: {
        operationId: "listTasks",
        tags: ["tasks"],
        summary: "List tasks",
        description:
          "Tasks the caller may list, newest pages first as the API server orders them. With `org`, the tasks of that Org (the caller needs `get` on the Org and `list` on agenttasks in its namespace); without, of all namespaces (cluster-wide `list`). A page may hold fewer than `limit` tasks while `continue` is still set.",
        security: BEARER,
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
        security: BEARER,
        params: TaskParamsSchema,
        response: { 200: AgentTaskResourceSchema, ...problemResponses(...COMMON_PROBLEMS, 404) },
      },
    },
    async (request) => {
      const { namespace, name } = request.params;
      return stripManagedFields(await readTask(request.actor, namespace, name));
    },
  );

  /**
   * Cancel, resume and delete only start what the operator and Kubernetes finish: each answers 202
   * with what the API server accepted.
   */
  const taskAction = <Accepted extends z.ZodType>(action: {
    method: "POST" | "DELETE";
    url: string;
    operationId: string;
    summary: string;
    description: string;
    /**
     * What the body may be, checked by the handler; any body is ignored without it. Not the route's
     * body schema: the OpenAPI document would then call the body required.
     */
    body?: z.ZodType;
    accepted: Accepted;
    act: (actor: Actor, namespace: string, name: string) => Promise<z.output<Accepted>>;
  }) =>
    app.route({
      method: action.method,
      url: action.url,
      schema: {
        operationId: action.operationId,
        tags: ["tasks"],
        summary: action.summary,
        description: action.description,
        security: BEARER,
        params: TaskParamsSchema,
        // The signature ties act's result to the schema; fastify's reply type cannot follow a generic one.
        response: { 202: action.accepted as z.ZodType, ...problemResponses(...COMMON_PROBLEMS, 404) },
      },
      handler: async (request, reply) => {
        action.body?.parse(request.body);
        const { namespace, name } = request.params;
        return reply.code(202).send(await action.act(request.actor, namespace, name));
      },
    });

  taskAction({
    method: "POST",
    url: "/:namespace/:name/cancel",
    operationId: "cancelTask",
    summary: "Cancel a task",
    description:
      "Sets spec.cancel; the operator stops the agent and the task ends as Cancelled. Needs `patch` on the task.",
    accepted: AgentTaskResourceSchema.describe("The task, with spec.cancel set."),
    act: cancelTask,
  });

  taskAction({
    method: "POST",
    url: "/:namespace/:name/resume",
    operationId: "resumeTask",
    summary: "Resume a suspended task",
    description:
      "Sets spec.suspend to false and the annotation agentyard.dev/resumed-at to the api's current time, in one patch: a task suspended by spec.suspend resumes, and a finished task whose idle editor was stopped (condition Suspended, reason EditorIdle) gets its editor back. A task that is not suspended keeps its state; only the annotation changes. Takes no body (an empty object at most). Needs `patch` on the task.",
    body: ResumeRequestSchema,
    accepted: TaskResumedSchema,
    act: resumeTask,
  });

  taskAction({
    method: "DELETE",
    url: "/:namespace/:name",
    operationId: "deleteTask",
    summary: "Delete a task",
    description:
      "Deletes the AgentTask; Kubernetes and the operator remove its agent afterwards. Needs `delete` on the task.",
    accepted: TaskRefSchema.describe("Deletion started."),
    act: deleteTask,
  });

  app.get(
    "/:namespace/:name/logs",
    {
      schema: {
        operationId: "getTaskLogs",
        tags: ["tasks"],
        summary: "Tail of the agent's log",
        description:
          "The end of the agent container's log (needs `list` pods and `get` pods/log in the namespace). When the pod's log is out of reach, the tail the agent reported in its state ConfigMap (needs `get` on that ConfigMap).",
        security: BEARER,
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
