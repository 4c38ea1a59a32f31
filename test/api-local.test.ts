import { request } from "node:http";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApi, startApi } from "../api/server.ts";
import { createOrg } from "./support/api.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

interface RawAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One request as a browser would send it, every header chosen by the test (fetch would not let a
 * test send its own Host).
 */
function send(
  api: RunningApi,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<RawAnswer> {
  const url = new URL(api.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method,
        headers: {
          host: url.host,
          ...(payload ? { "content-type": "application/json" } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** The api as npm start runs it: authentication off, loopback only, the run's own token. */
describe("--auth=none, as npm start runs it", () => {
  const cluster = sharedCluster();
  const localToken = "run-token-for-this-test";
  const bearer = { authorization: `Bearer ${localToken}` };
  let api: RunningApi;
  let org: string;

  beforeAll(async () => {
    api = await startApi({
      kubeconfig: cluster.kubeconfigs.admin,
      listen: "127.0.0.1:0",
      auth: "none",
      localToken,
      checkResponses: true,
      log: pino({ level: "silent" }),
    });
    org = uniqueName("local");
    await createOrg(kubectl, org);
  });

  afterAll(async () => {
    await api?.close();
  });

  it("refuses a request that names another host: a page that rebound its name to 127.0.0.1", async () => {
    const port = new URL(api.url).port;
    const rebound = await send(api, "GET", "/api/v1/orgs", { ...bearer, host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body.detail).toContain('not to Host "attacker.example');
    const page = await send(api, "GET", "/", { host: `attacker.example:${port}` });
    expect(page.status).toBe(403);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      expect((await send(api, "GET", "/api/v1/orgs", { ...bearer, host })).status).toBe(200);
    }
  });

  it("refuses a write another site's page sends, and takes one from its own pages", async () => {
    const body = { org, task: "from a page" };
    const foreign = await send(api, "POST", "/schedule", { ...bearer, origin: "https://evil.example" }, body);
    expect(foreign.status).toBe(403);
    expect(foreign.body.detail).toContain("https://evil.example");
    const crossSite = await send(
      api,
      "POST",
      "/schedule",
      { ...bearer, "sec-fetch-site": "cross-site" },
      body,
    );
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.detail).toContain("Sec-Fetch-Site: cross-site");

    const sameOrigin = await send(
      api,
      "POST",
      "/schedule",
      { ...bearer, origin: api.url, "sec-fetch-site": "same-origin" },
      body,
    );
    expect(sameOrigin.status).toBe(202);
    // curl and other programs send neither header.
    expect((await send(api, "POST", "/schedule", bearer, body)).status).toBe(202);
  });

  it("requires the run's token, and never says what it is", async () => {
    const none = await send(api, "GET", "/api/v1/orgs", {});
    expect(none.status).toBe(401);
    const wrong = await send(api, "GET", "/api/v1/orgs", { authorization: "Bearer guessed" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.detail).toContain("dashboard link");
    expect(JSON.stringify(wrong.body)).not.toContain(localToken);
    // What the dashboard needs before sign-in stays public.
    expect((await send(api, "GET", "/healthz", {})).status).toBe(200);
  });
});
