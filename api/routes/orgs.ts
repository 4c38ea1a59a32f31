import { stripManagedFields } from "@agentyard/kube-runtime";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { OrgListQuerySchema, OrgListSchema, OrgParamsSchema, OrgResourceSchema } from "../../schema/rest.ts";
import { BEARER, COMMON_PROBLEMS, problemResponses } from "../openapi.ts";
import { readOrg } from "../resources.ts";
import { listOrgs } from "../services/orgs.ts";

export const orgRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "",
    {
      schema: {
        operationId: "listOrgs",
        tags: ["orgs"],
        summary: "List Orgs",
        description: "Needs `list` on orgs (cluster-wide).",
        security: BEARER,
        querystring: OrgListQuerySchema,
        response: { 200: OrgListSchema, ...problemResponses(...COMMON_PROBLEMS, 410) },
      },
    },
    async (request) => listOrgs(request.actor, request.query),
  );

  app.get(
    "/:name",
    {
      schema: {
        operationId: "getOrg",
        tags: ["orgs"],
        summary: "Read an Org",
        description: "Needs `get` on the Org.",
        security: BEARER,
        params: OrgParamsSchema,
        response: { 200: OrgResourceSchema, ...problemResponses(...COMMON_PROBLEMS, 404) },
      },
    },
    async (request) => stripManagedFields(await readOrg(request.actor, request.params.name)),
  );
};
