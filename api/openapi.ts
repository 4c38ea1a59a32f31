import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from "fastify-type-provider-zod";
import pkg from "../package.json" with { type: "json" };
import { ProblemSchema } from "../schema/rest.ts";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";

/** Where the generated document and the human-readable docs are served. */
export const OPENAPI_PATH = "/openapi.json";
export const DOCS_PATH = "/docs";

const DESCRIPTIONS: Record<number, string> = {
  400: "The request is invalid; `errors` names every bad field.",
  401: "No bearer token, or one the Kubernetes API server does not accept.",
  403: "Kubernetes RBAC does not allow the caller this action; the detail names the verb and resource.",
  404: "The Org or task does not exist.",
  409: "The request conflicts with the current state.",
  410: "The continue token expired; list again from the first page.",
  413: "The body is larger than the server accepts.",
  415: "The body is not JSON.",
  422: "The Idempotency-Key was used before with another request.",
  429: "Too many requests from this caller; retry after Retry-After seconds.",
  501: "The task's agent runs in another cluster; its log is there.",
  503: "The Kubernetes API server is unavailable; retry after Retry-After seconds.",
};

/** Response entries for problems, as problem+json, for a route's `schema.response`. */
export function problemResponses(...codes: number[]) {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      {
        description: DESCRIPTIONS[code] ?? "A problem.",
        content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
      },
    ]),
  );
}

/** The problems every authenticated route may answer. */
export const COMMON_PROBLEMS = [400, 401, 403, 429, 503] as const;

/** The security requirement of every authenticated route: the caller's own Kubernetes token. */
export const BEARER = [{ bearer: [] }] as const;

/** The CRDs' CEL rules are for the API server; the zod checks behind them already describe the fields. */
const zodToJsonConfig = {
  override: (ctx: { jsonSchema: Record<string, unknown> }) => {
    for (const key of Object.keys(ctx.jsonSchema)) {
      if (key.startsWith("x-kubernetes-")) delete ctx.jsonSchema[key];
    }
  },
};

const transformObject = createJsonSchemaTransformObject({ zodToJsonConfig });

type Document = ReturnType<typeof transformObject>;

/**
 * Every schema with an id becomes a component in both its input and output form; keep those the
 * routes reach, so that the document lists what clients send and receive, and nothing else.
 */
export function withoutUnusedComponents(document: Document): Document {
  const { paths, components = {} } = document as { paths?: unknown; components?: { schemas?: object } };
  const schemas = (components.schemas ?? {}) as Record<string, unknown>;
  const used = new Set<string>();
  const visit = (value: unknown) => {
    for (const [, id] of JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (id && !used.has(id)) {
        used.add(id);
        visit(schemas[id]);
      }
    }
  };
  visit(paths);
  const kept = Object.fromEntries(Object.entries(schemas).filter(([id]) => used.has(id)));
  return { ...document, components: { ...components, schemas: kept } } as Document;
}

/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas as they are registered, and
 * Swagger UI at /docs, served from the package's own files (no CDN).
 */
export const openapiPlugin = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "agentyard",
        version: pkg.version,
        description:
          "Schedule coding agents and follow their tasks. Every request acts as the caller: Kubernetes RBAC decides what it may do.",
      },
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            description:
              "A Kubernetes bearer token (ServiceAccount or user token), checked with TokenReview.",
          },
        },
      },
      tags: [
        { name: "tasks", description: "AgentTasks: schedule, list, read, cancel, resume, delete, logs." },
        { name: "orgs", description: "Orgs: the organizations whose agents run here." },
        { name: "events", description: "Live changes of tasks and Orgs." },
        { name: "health", description: "Liveness, readiness and metrics." },
      ],
    },
    transform: createJsonSchemaTransform({ zodToJsonConfig }),
    transformObject: (document) => withoutUnusedComponents(transformObject(document)),
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PATH });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
});
