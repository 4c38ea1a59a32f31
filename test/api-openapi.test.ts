import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApi } from "../api/server.ts";
import { call, startTestApi } from "./support/api.ts";
import { kubectl, sharedCluster } from "./support/cluster.ts";

/** "GET /api/v1/tasks/{namespace}/{name}" for every route fastify serves, read off its route tree. */
/** The dashboard's page and its files: served at the root, and no part of the REST API. */
function isDashboardFile(route: string): boolean {
  return (
    route === "GET /" ||
    route === "GET /index.html" ||
    route === "GET /favicon.svg" ||
    route.startsWith("GET /assets/")
  );
}

function servedRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split("\n")) {
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    stack.length = depth;
    stack.push(match[2] as string);
    const path = stack.join("").replace(/:(\w+)/g, "{$1}");
    for (const method of (match[3] ?? "").split(", ").filter((m) => m && m !== "HEAD")) {
      routes.push(`${method} ${path}`);
    }
  }
  return routes.sort();
}

describe("the OpenAPI document and health endpoints", () => {
  const cluster = sharedCluster();
  let api: RunningApi;

  beforeAll(async () => {
    api = await startTestApi(cluster, kubectl);
  });

  afterAll(async () => {
    await api?.close();
  });

  it("serves a valid OpenAPI 3.1 document", async () => {
    const res = await call(api, "GET", "/openapi.json");
    expect(res.status).toBe(200);
    const document = await SwaggerParser.validate(structuredClone(res.body) as never);
    expect((document as { openapi?: string }).openapi).toBe("3.1.0");
  });

  it("documents exactly the routes the api serves, besides its own docs", async () => {
    const res = await call<{ paths: Record<string, Record<string, unknown>> }>(api, "GET", "/openapi.json");
    const documented = Object.entries(res.body.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    const served = servedRoutes(api.app.printRoutes({ commonPrefix: false })).filter(
      (route) => !route.includes(" /docs") && route !== "GET /openapi.json" && !isDashboardFile(route),
    );
    expect(documented).toEqual(served);
    expect(documented).toEqual(
      expect.arrayContaining([
        "POST /schedule",
        "GET /api/v1/tasks",
        "GET /api/v1/tasks/{namespace}/{name}",
        "DELETE /api/v1/tasks/{namespace}/{name}",
        "POST /api/v1/tasks/{namespace}/{name}/cancel",
        "POST /api/v1/tasks/{namespace}/{name}/resume",
        "GET /api/v1/tasks/{namespace}/{name}/logs",
        "GET /api/v1/orgs",
        "GET /api/v1/orgs/{name}",
        "GET /api/v1/events",
        "GET /health",
        "GET /api/health",
      ]),
    );
  });

  it("describes requests and answers with the zod schemas", async () => {
    const res = await call<{
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>(api, "GET", "/openapi.json");
    const schedule = res.body.paths["/schedule"]?.post;
    expect(JSON.stringify(schedule?.requestBody)).toContain("#/components/schemas/ScheduleRequest");
    expect(Object.keys(schedule?.responses ?? {})).toEqual(
      expect.arrayContaining(["202", "400", "401", "403", "404", "422", "503"]),
    );
    expect(JSON.stringify(schedule?.responses["403"])).toContain("application/problem+json");
    const schemas = res.body.components.schemas;
    expect(Object.keys(schemas.AgentTask?.properties ?? {})).toEqual([
      "apiVersion",
      "kind",
      "metadata",
      "spec",
      "status",
    ]);
    // CEL rules are for the API server, not for REST clients.
    expect(JSON.stringify(res.body)).not.toContain("x-kubernetes-");
  });

  it("serves human-readable docs from its own files", async () => {
    const page = await fetch(`${api.url}/docs/static/index.html`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("swagger-ui");
    expect(html).not.toMatch(/src="https?:\/\//);
  });

  it.each(["/health", "/api/health", "/healthz", "/readyz"])("answers %s without a token", async (path) => {
    const res = await call(api, "GET", path);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("serves Prometheus metrics", async () => {
    await call(api, "GET", "/health");
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(
      'agentyard_api_http_request_duration_seconds_count{method="GET",route="/health",code="200"}',
    );
    expect(text).toContain("agentyard_api_reviews_total");
  });
});
