import type { ClusterClient } from "@agentyard/kube-runtime";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { HealthSchema } from "../../schema/rest.ts";
import { registry } from "../metrics.ts";
import { problemResponses } from "../openapi.ts";
import { toProblem, unavailable } from "../problem.ts";

export interface HealthOptions {
  client: ClusterClient;
}

/** Readiness asks the API server at most this often; probes from many kubelets cost one request. */
const READY_CACHE_MS = 1_000;

/**
 * The MVP's /health and /api/health, the Kubernetes probes and Prometheus metrics. None needs a
 * token: they tell nothing about tasks or Orgs.
 */
export const healthRoutes: FastifyPluginAsyncZod<HealthOptions> = async (app, { client }) => {
  const ok = { status: "ok" } as const;
  const alive = { schema: { tags: ["health"], response: { 200: HealthSchema } } };

  app.get(
    "/health",
    { schema: { ...alive.schema, operationId: "health", summary: "The MVP's health check" } },
    async () => ok,
  );
  app.get(
    "/api/health",
    { schema: { ...alive.schema, operationId: "apiHealth", summary: "The MVP's health check" } },
    async () => ok,
  );
  app.get(
    "/healthz",
    { schema: { ...alive.schema, operationId: "healthz", summary: "Liveness: the process serves" } },
    async () => ok,
  );

  let checked: { at: number; problem: Error | undefined } | undefined;
  app.get(
    "/readyz",
    {
      schema: {
        operationId: "readyz",
        tags: ["health"],
        summary: "Readiness: the Kubernetes API server answers",
        response: { 200: HealthSchema, ...problemResponses(503) },
      },
    },
    async () => {
      if (!checked || Date.now() - checked.at > READY_CACHE_MS) {
        const problem = await client.text("/readyz", { timeoutMs: 5_000 }).then(
          () => undefined,
          (err: unknown) => toProblem(err),
        );
        checked = { at: Date.now(), problem };
      }
      if (checked.problem) throw unavailable(checked.problem.message);
      return ok;
    },
  );

  app.get(
    "/metrics",
    {
      schema: {
        operationId: "metrics",
        tags: ["health"],
        summary: "Prometheus metrics",
        response: {
          200: {
            description: "Metrics in the Prometheus text format.",
            content: { "text/plain": { schema: z.string() } },
          },
        },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
};
