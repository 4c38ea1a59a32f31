import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { WhoamiSchema } from "../../schema/rest.ts";
import { BEARER, COMMON_PROBLEMS, problemResponses } from "../openapi.ts";
import { whoami } from "../services/whoami.ts";

export const whoamiRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "",
    {
      schema: {
        operationId: "whoami",
        tags: ["identity"],
        summary: "Who the caller is and what the caller may do",
        description:
          "Asks Kubernetes as the caller (SelfSubjectAccessReview, and SelfSubjectRulesReview for callers who may read named Orgs only), so a client can disable what RBAC would refuse. Any authenticated caller may ask.",
        security: BEARER,
        response: { 200: WhoamiSchema, ...problemResponses(...COMMON_PROBLEMS) },
      },
    },
    async (request) => whoami(request.actor),
  );
};
