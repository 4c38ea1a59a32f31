import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { RunningApi } from "../api/server.ts";
import { call, startTestApi } from "./support/api.ts";
import { kubectl, sharedCluster } from "./support/cluster.ts";

describe("limits, CORS and logs", () => {
  const cluster = sharedCluster();
  let api: RunningApi | undefined;

  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it("limits requests per caller, not per address", async () => {
    api = await startTestApi(cluster, kubectl, { rateLimitPerMinute: 3 });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await call(api, "GET", "/api/v1/orgs", { token: cluster.tokens.admin })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call(api, "GET", "/api/v1/orgs", { token: cluster.tokens.admin });
    expect(limited.body).toMatchObject({ type: "urn:agentyard:problem:rate-limited", status: 429 });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another caller from the same address has a budget of its own.
    expect((await call(api, "GET", "/api/v1/orgs", { token: cluster.tokens.bob })).status).toBe(403);
  });

  it("sends no CORS headers unless origins are configured", async () => {
    api = await startTestApi(cluster, kubectl);
    const closed = await call(api, "OPTIONS", "/schedule", {
      headers: { origin: "https://dashboard.example", "access-control-request-method": "POST" },
    });
    expect(closed.headers.get("access-control-allow-origin")).toBeNull();
    await api.close();

    api = await startTestApi(cluster, kubectl, { corsOrigins: ["https://dashboard.example"] });
    const open = await call(api, "OPTIONS", "/schedule", {
      headers: { origin: "https://dashboard.example", "access-control-request-method": "POST" },
    });
    expect(open.status).toBe(204);
    expect(open.headers.get("access-control-allow-origin")).toBe("https://dashboard.example");
    expect(open.headers.get("access-control-allow-headers")).toContain("idempotency-key");
    const other = await call(api, "OPTIONS", "/schedule", {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("logs no tokens, even at trace level", async () => {
    let logged = "";
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    api = await startTestApi(cluster, kubectl, { log: pino({ level: "trace" }, sink) });
    await call(api, "GET", "/api/v1/orgs", { token: cluster.tokens.admin });
    await call(api, "POST", "/schedule", { token: "forged-token-value", body: { org: "x", task: "y" } });
    await call(api, "GET", "/api/v1/orgs/x", {
      headers: { authorization: `Bearer ${cluster.tokens.carol}` },
    });
    expect(logged).toContain("request completed");
    for (const secret of [cluster.tokens.admin, cluster.tokens.carol, "forged-token-value"]) {
      expect(logged).not.toContain(secret);
    }
  });
});
