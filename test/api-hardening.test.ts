import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { reviews } from "../api/metrics.ts";
import type { RunningApi } from "../api/server.ts";
import { apply, call, createOrg, grant, must, openEvents, startTestApi, taskNames } from "./support/api.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

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

  it("limits the tokens an address may have reviewed, before authentication", async () => {
    api = await startTestApi(cluster, kubectl, { reviewsPerMinutePerAddress: 3 });
    // A known token costs no review: it is answered from the cache, and keeps working.
    expect((await call(api, "GET", "/api/v1/orgs", { token: cluster.tokens.admin })).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await call(api, "GET", "/api/v1/orgs", { token: `random-${i}` })).status);
    }
    expect(statuses).toEqual([401, 401, 429]);
    const limited = await call(api, "GET", "/api/v1/orgs", { token: "random-again" });
    expect(limited.body).toMatchObject({ type: "urn:agentyard:problem:rate-limited", status: 429 });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await call(api, "GET", "/api/v1/orgs", { token: cluster.tokens.admin })).status).toBe(200);
  });

  it("caps the event streams a caller may hold open", async () => {
    api = await startTestApi(cluster, kubectl, { maxStreamsPerCaller: 2 });
    const first = await openEvents(api, "/api/v1/events", { token: cluster.tokens.admin });
    const second = await openEvents(api, "/api/v1/events", { token: cluster.tokens.admin });
    const third = await call(api, "GET", "/api/v1/events", { token: cluster.tokens.admin });
    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    expect(third.body.detail).toContain("has 2 event streams open already");
    first.close();
    // A closed stream gives its place back, as soon as the api sees the connection end.
    await expect
      .poll(
        async () => {
          const again = await openEvents(api as RunningApi, "/api/v1/events", {
            token: cluster.tokens.admin,
          });
          again.close();
          return again.status;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe(200);
    second.close();
  });

  it("caps the event streams of all callers together", async () => {
    api = await startTestApi(cluster, kubectl, { maxStreams: 1 });
    const first = await openEvents(api, "/api/v1/events", { token: cluster.tokens.admin });
    const other = await call(api, "GET", "/api/v1/events", { token: cluster.tokens.alice });
    expect([first.status, other.status]).toEqual([200, 503]);
    first.close();
  });

  it("ends an event stream once its token is no longer accepted", async () => {
    const org = uniqueName("revoke");
    const namespace = await createOrg(kubectl, org);
    await apply(kubectl, [
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "watcher", namespace } },
    ]);
    await grant(kubectl, { kind: "Group", name: `system:serviceaccounts:${namespace}` }, org, namespace, [
      "get",
      "list",
      "watch",
    ]);
    const token = (
      await must(kubectl(["create", "token", "watcher", "-n", namespace, "--duration=10m"]), "TokenRequest")
    ).trim();
    api = await startTestApi(cluster, kubectl, { tokenCacheMs: 1_000 });
    const stream = await openEvents(api, `/api/v1/events?org=${org}`, { token });
    expect(stream.status).toBe(200);
    await stream.next("synced", (e) => e.event === "synced");
    // Deleting the ServiceAccount invalidates its tokens; the group's rights would still let the
    // api's impersonated watch go on.
    await must(kubectl(["delete", "serviceaccount", "watcher", "-n", namespace]), "kubectl delete");
    const ended = await stream.next("error", (e) => e.event === "error", 30_000);
    expect(ended.data).toMatchObject({ status: 401, type: "urn:agentyard:problem:unauthenticated" });
    stream.close();
  });

  it("refuses what RBAC took back, although the review that allowed it is still kept", async () => {
    const org = uniqueName("kept");
    const namespace = await createOrg(kubectl, org);
    await grant(kubectl, { kind: "User", name: "carol" }, org, namespace, ["create", "get"]);
    api = await startTestApi(cluster, kubectl, { accessCacheMs: 600_000 });
    const token = cluster.tokens.carol;
    const cachedReviews = async () =>
      (await reviews.get()).values
        .filter((v) => v.labels.kind === "SubjectAccessReview" && v.labels.result === "cached")
        .reduce((sum, v) => sum + v.value, 0);

    const first = await call(api, "POST", "/schedule", { token, body: { org, task: "one" } });
    expect(first.status).toBe(202);
    await must(kubectl(["delete", "rolebinding", `tasks-carol-${org}`, "-n", namespace]), "kubectl delete");
    await expect
      .poll(
        async () =>
          (
            await kubectl(["auth", "can-i", "create", "agenttasks.agentyard.dev", "-n", namespace], {
              user: "carol",
            })
          ).stdout.trim(),
        {
          timeout: 10_000,
          interval: 100,
        },
      )
      .toBe("no");

    const before = await cachedReviews();
    const second = await call(api, "POST", "/schedule", { token, body: { org, task: "two" } });
    // The kept answers were used (the Org's get and the create), and the API server refused the create.
    expect(await cachedReviews()).toBeGreaterThan(before);
    expect(second.status).toBe(403);
    expect(second.body).toMatchObject({ type: "urn:agentyard:problem:forbidden" });
    expect(await taskNames(kubectl, namespace)).toHaveLength(1);
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
