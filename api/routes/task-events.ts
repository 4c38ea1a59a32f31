import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { TaskEventListSchema, TaskParamsSchema } from "../../schema/rest.ts";
import { BEARER, COMMON_PROBLEMS, problemResponses } from "../openapi.ts";
import { listTaskEvents } from "../services/task-events.ts";

export const taskEventRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/:namespace/:name/events",
    {
      schema: {
        operationId: "getTaskEvents",
        tags: ["tasks"],
        summary: "Kubernetes Events about a task",
        description:
          "The Events the operator recorded about the AgentTask (phase changes, retries, failures), oldest first. Needs `get` on the task and `list` events in its namespace.",
        security: BEARER,
        params: TaskParamsSchema,
        response: { 200: TaskEventListSchema, ...problemResponses(...COMMON_PROBLEMS, 404) },
      },
    },
    async (request) => listTaskEvents(request.actor, request.params.namespace, request.params.name),
  );
};
