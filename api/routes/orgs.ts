import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { API_VERSION, ORG_KIND, type Org } from "../../schema/index.ts";
import { OrgListQuerySchema, OrgListSchema, OrgParamsSchema, OrgResourceSchema } from "../../schema/rest.ts";
import { COMMON_PROBLEMS, problemResponses } from "../openapi.ts";
import { orgAttributes, orgPath, readOrg, withoutManagedFields } from "../resources.ts";

export const orgRoutes: FastifyPluginAsyncZod = async (app) => {
  const security = [{ bearer: [] }];

  app.get(
    "",
    {
      schema: {
        operationId: "listOrgs",
        tags: ["orgs"],
        summary: "List Orgs",
        description: "Needs `list` on orgs (cluster-wide).",
        security,
        querystring: OrgListQuerySchema,
        response: { 200: OrgListSchema, ...problemResponses(...COMMON_PROBLEMS, 410) },
      },
    },
    async (request) => {
      await request.actor.authorize(orgAttributes("list"));
      const list = await request.actor.request<{ items: Org[]; metadata?: { continue?: string } }>(
        "GET",
        orgPath(),
        { query: { limit: request.query.limit, continue: request.query.continue } },
      );
      // Items of a list carry neither apiVersion nor kind.
      const items = list.items.map((org) =>
        withoutManagedFields({ ...org, apiVersion: API_VERSION, kind: ORG_KIND } as Org),
      );
      const next = list.metadata?.continue || undefined;
      return next ? { items, continue: next } : { items };
    },
  );

  app.get(
    "/:name",
    {
      schema: {
        operationId: "getOrg",
        tags: ["orgs"],
        summary: "Read an Org",
        description: "Needs `get` on the Org.",
        security,
        params: OrgParamsSchema,
        response: { 200: OrgResourceSchema, ...problemResponses(...COMMON_PROBLEMS, 404) },
      },
    },
    async (request) => withoutManagedFields(await readOrg(request.actor, request.params.name)),
  );
};
