import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardPlugin } from "./serve.ts";

describe("dashboardPlugin", () => {
  let dist: string;

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), "agentyard-dist-"));
    await mkdir(join(dist, "assets"));
    await writeFile(join(dist, "index.html"), "<!doctype html><ay-app></ay-app>");
    await writeFile(join(dist, "assets", "index-abc123.js"), "console.log(1)");
    await writeFile(join(dist, ".source-hash"), "not served");
  });
  afterAll(() => rm(dist, { recursive: true, force: true }));

  async function app(options = { dist: "" }) {
    const server = Fastify();
    await server.register(dashboardPlugin, { dist: options.dist || dist });
    return server;
  }

  it("serves the page at / with a strict CSP, revalidated on every load", async () => {
    const server = await app();
    const res = await server.inject("/");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(res.headers["cache-control"]).toBe("no-cache");
    const again = await server.inject({ url: "/", headers: { "if-none-match": String(res.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it("serves hashed bundles as immutable, and nothing else", async () => {
    const server = await app();
    const js = await server.inject("/assets/index-abc123.js");
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toContain("immutable");
    expect((await server.inject("/.source-hash")).statusCode).toBe(404);
    expect((await server.inject("/../package.json")).statusCode).toBe(404);
  });

  it("says how to build the dashboard when it is not built", async () => {
    const server = await app({ dist: join(dist, "missing") });
    const res = await server.inject("/");
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain("npm run build:dashboard");
  });
});
