import { Writable } from "node:stream";
import { type ClusterClient, clientFromKubeConfig } from "@agentyard/kube-runtime";
import { KubeConfig } from "@kubernetes/client-node";
import type { FastifyInstance, FastifyReply } from "fastify";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { problemResponses } from "./openapi.ts";
import { defaultApiOptions } from "./options.ts";
import { notFound, PROBLEM_CONTENT_TYPE } from "./problem.ts";
import { type ApiInstance, buildApi } from "./server.ts";

/** A Kubernetes API server that never answers: these tests need none. */
function nowhere(): ClusterClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "nowhere", server: "https://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "nobody", token: "unused" }],
    contexts: [{ name: "nowhere", cluster: "nowhere", user: "nobody" }],
    currentContext: "nowhere",
  });
  return clientFromKubeConfig(kc, "nowhere");
}

const opened: ApiInstance[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

/** The api with one more route, `GET /answer`, that answers whatever `answer` sends. */
async function apiAnswering(
  answer: (reply: FastifyReply) => unknown,
  checkResponses = true,
): Promise<{ app: ApiInstance; logged: () => string }> {
  let logged = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  const app = await buildApi(
    { ...defaultApiOptions(), auth: "none", checkResponses },
    nowhere(),
    pino({ level: "error" }, sink),
  );
  await app.register(async (scope: FastifyInstance) => {
    scope.get(
      "/answer",
      { schema: { response: { 200: z.object({ name: z.string() }), ...problemResponses(404) } } },
      async (_request, reply) => answer(reply),
    );
  });
  await app.ready();
  opened.push(app);
  return { app, logged: () => logged };
}

describe("answers checked against their routes' response schemas", () => {
  it("lets an answer through that matches its schema", async () => {
    const { app } = await apiAnswering(() => ({ name: "acme" }));
    const res = await app.inject("/answer");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: "acme" });
  });

  it("fails a body that drifts from its schema with 500, and logs which field", async () => {
    const { app, logged } = await apiAnswering(() => ({ title: "acme" }));
    const res = await app.inject("/answer");
    expect(res.statusCode).toBe(500);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(logged()).toContain("GET /answer answered 200 against its schema: name: ");
  });

  it("checks problems against the problem schema of their status", async () => {
    const declared = await apiAnswering(() => {
      throw notFound("no such thing");
    });
    expect((await declared.app.inject("/answer")).statusCode).toBe(404);
    const drifting = await apiAnswering((reply) =>
      reply.code(404).type(PROBLEM_CONTENT_TYPE).send({ status: "gone" }),
    );
    expect((await drifting.app.inject("/answer")).statusCode).toBe(500);
    expect(drifting.logged()).toContain("answered 404 against its schema: type: ");
  });

  it("fails a status the route does not declare", async () => {
    const { app, logged } = await apiAnswering((reply) => reply.code(409).send({ name: "acme" }));
    expect((await app.inject("/answer")).statusCode).toBe(500);
    expect(logged()).toContain("its route declares no answer 409");
  });

  it("checks the api's own routes: health, a readiness problem, a refused parameter", async () => {
    const { app } = await apiAnswering(() => ({ name: "acme" }));
    expect((await app.inject("/healthz")).statusCode).toBe(200);
    expect((await app.inject("/readyz")).statusCode).toBe(503);
    const invalid = await app.inject("/api/v1/tasks/Not_A_Namespace/x");
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors[0]).toContain("path parameter namespace: ");
  });

  it("is off unless asked for: production passes the API server's objects on unchecked", async () => {
    const { app } = await apiAnswering(() => ({ title: "acme" }), false);
    const res = await app.inject("/answer");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ title: "acme" });
  });
});
