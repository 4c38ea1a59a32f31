import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ScheduleRequestSchema, ScheduleResponseSchema } from "../../schema/rest.ts";
import { IdempotencyKeySchema } from "../idempotency.ts";
import { BEARER, COMMON_PROBLEMS, problemResponses } from "../openapi.ts";
import { RecentOrgs } from "../recent-orgs.ts";
import { scheduleTask } from "../services/schedule.ts";

export interface ScheduleRoutesOptions {
  /** How long an Org a caller read is kept for that caller's next schedules (recent-orgs.ts). */
  orgCacheMs: number;
}

export const scheduleRoutes: FastifyPluginAsyncZod<ScheduleRoutesOptions> = async (app, options) => {
  const orgs = new RecentOrgs(options.orgCacheMs);
  app.post(
    "",
    {
      schema: {
        operationId: "schedule",
        tags: ["tasks"],
        summary: "Schedule a task",
        description:
          "Creates an AgentTask in the Org's namespace, as the caller (who needs `get` on the Org and `create` on agenttasks there). With an Idempotency-Key, retries of the same request return the same task.",
        security: BEARER,
        headers: z.looseObject({
          "idempotency-key": IdempotencyKeySchema.optional().describe(
            "Makes retries safe: the same key and request return the same task.",
          ),
        }),
        body: ScheduleRequestSchema,
        response: {
          202: ScheduleResponseSchema.describe("The task was created; Location is its URL."),
          ...problemResponses(...COMMON_PROBLEMS, 404, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const scheduled = await scheduleTask(actor, orgs, request.body, request.headers["idempotency-key"]);
      request.log.info(
        { task: `${scheduled.task.namespace}/${scheduled.task.name}`, caller: actor.name },
        "task scheduled",
      );
      return reply.code(202).header("location", scheduled.links.self).send(scheduled);
    },
  );
};
