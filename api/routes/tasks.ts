import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  AgentTaskResourceSchema,
  TaskListQuerySchema,
  TaskListSchema,
  TaskLogQuerySchema,
  TaskLogSchema,
  TaskParamsSchema,
  TaskRefSchema,
} from "../../schema/rest.ts";
import { readTaskLog } from "../logs.ts";
import { BEARER, COMMON_PROBLEMS, problemResponses } from "../openapi.ts";
import { readTask, withoutManagedFields } from "../resources.ts";
import { cancelTask, deleteTask, listTasks } from "../services/tasks.ts";

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
        security: BEARER,
        params: TaskParamsSchema,
        response: {
          202: AgentTaskResourceSchema.describe("The task, with spec.cancel set."),
          ...problemResponses(...COMMON_PROBLEMS, 404),
        },
      },
    },
    async (request, reply) => {
      const { namespace, name } = request.params;
      return reply.code(202).send(await cancelTask(request.actor, namespace, name));
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
        security: BEARER,
        params: TaskParamsSchema,
        response: {
          202: TaskRefSchema.describe("Deletion started."),
          ...problemResponses(...COMMON_PROBLEMS, 404),
        },
      },
    },
    async (request, reply) => {
      const { namespace, name } = request.params;
      return reply.code(202).send(await deleteTask(request.actor, namespace, name));
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
