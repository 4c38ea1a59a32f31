import { Writable } from "node:stream";
import { clientFromKubeConfig } from "@agentyard/kube-runtime";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { defaultApiOptions } from "./options.ts";
import { isQuietRequest } from "./request-log.ts";
import { type ApiInstance, buildApi } from "./server.ts";

const opened: ApiInstance[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

/** The api logging at `level` into a list of records; its Kubernetes API server never answers. */
async function apiLoggingAt(level: string) {
  const records: { level: number; msg: string; req?: { url: string }; res?: { statusCode: number } }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      records.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "nowhere", server: "https://127.0.0.1:1" }],
    users: [{ name: "nobody", token: "unused" }],
    contexts: [{ name: "nowhere", cluster: "nowhere", user: "nobody" }],
    currentContext: "nowhere",
  });
  const app = await buildApi(
    { ...defaultApiOptions(), auth: "none" },
    clientFromKubeConfig(kc, "nowhere"),
    pino({ level }, sink),
  );
  await app.ready();
  opened.push(app);
  return { app, records };
}

describe("request logs", () => {
  it("keeps probes and the dashboard's files out of the info log, and API requests in it", async () => {
    const { app, records } = await apiLoggingAt("info");
    await app.inject("/healthz");
    await app.inject("/metrics");
    await app.inject("/");
    await app.inject({ method: "POST", url: "/schedule", payload: {} });
    const urls = records.map((r) => r.req?.url).filter(Boolean);
    expect(urls).toEqual(["/schedule"]);
    expect(records.find((r) => r.msg === "request completed")?.res?.statusCode).toBe(400);
  });

  it("logs the quiet requests at debug, once each, when asked for debug", async () => {
    const { app, records } = await apiLoggingAt("debug");
    await app.inject("/healthz");
    const completed = records.filter((r) => r.msg === "request completed");
    expect(completed).toHaveLength(1);
    expect(completed[0]?.level).toBe(20);
  });

  it("never quiets a write or an API path", () => {
    expect(isQuietRequest({ method: "POST", url: "/healthz" })).toBe(false);
    expect(isQuietRequest({ method: "GET", url: "/schedule" })).toBe(false);
    expect(isQuietRequest({ method: "GET", url: "/api/v1/tasks?org=demo" })).toBe(false);
    expect(isQuietRequest({ method: "GET", url: "/readyz?verbose" })).toBe(true);
    expect(isQuietRequest({ method: "GET", url: "/assets/index-abc.js" })).toBe(true);
  });
});
