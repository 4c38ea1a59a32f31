import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApi } from "../api/server.ts";
import type { Whoami } from "../schema/rest.ts";
import { apply, call, createOrg, grant, startTestApi } from "./support/api.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

/** The api routes the dashboard needs beyond the REST API: who am I, and a task's Events. */
describe("dashboard api routes", () => {
  const cluster = sharedCluster();
  const tokens = cluster.tokens;
  let api: RunningApi;
  let org: string;
  let namespace: string;
  let other: string;

  beforeAll(async () => {
    api = await startTestApi(cluster, kubectl);
    org = uniqueName("who");
    other = uniqueName("who-other");
    namespace = await createOrg(kubectl, org);
    await createOrg(kubectl, other);
    // carol may read the Org by name (no cluster-wide list) and run tasks there, without deleting.
    await grant(
      kubectl,
      { kind: "User", name: "carol" },
      org,
      namespace,
      ["get", "list", "watch", "create", "patch"],
      [{ apiGroups: [""], resources: ["events"], verbs: ["list"] }],
    );
  });
  afterAll(async () => {
    await api?.close();
  });

  it("tells a tenant which Orgs she may see and what she may do there", async () => {
    const res = await call<Whoami>(api, "GET", "/api/v1/whoami", { token: tokens.carol });
    expect(res.status).toBe(200);
    expect(res.body.user?.username).toBe("carol");
    // Other suites on the shared cluster grant carol rights of their own: look at these two Orgs only.
    expect(res.body.orgs).toContain(org);
    expect(res.body.orgs).not.toContain(other);
    expect(res.body.namespaces[org]).toBe(namespace);
    expect(res.body.can).toMatchObject({
      listOrgs: false,
      watchAllTasks: false,
      watch: { [org]: true },
      schedule: { [org]: true },
      cancel: { [org]: true },
      resume: { [org]: true },
      delete: { [org]: false },
      events: { [org]: true },
    });
  });

  it("tells the admin everything is allowed", async () => {
    const res = await call<Whoami>(api, "GET", "/api/v1/whoami", { token: tokens.admin });
    expect(res.body.orgs).toEqual(expect.arrayContaining([org, other]));
    expect(res.body.can.listOrgs).toBe(true);
    expect(res.body.can.watchAllTasks).toBe(true);
    expect(res.body.can.delete[other]).toBe(true);
  });

  it("answers a user without rights here with nothing allowed, and a bad token with 401", async () => {
    const bob = await call<Whoami>(api, "GET", "/api/v1/whoami", { token: tokens.bob });
    expect(bob.status).toBe(200);
    expect(bob.body).toMatchObject({
      user: { username: "bob" },
      can: { listOrgs: false, watchAllTasks: false },
    });
    expect(bob.body.orgs).not.toContain(org);
    expect(bob.body.can.schedule[org]).toBeUndefined();
    const stranger = await call(api, "GET", "/api/v1/whoami", { token: "not-a-token" });
    expect(stranger.status).toBe(401);
  });

  it("lists a task's Events, oldest first, as the caller", async () => {
    const name = uniqueName("evt");
    await apply(kubectl, [
      {
        apiVersion: "agentyard.dev/v1alpha1",
        kind: "AgentTask",
        metadata: { name, namespace },
        spec: { org, prompt: "x" },
      },
    ]);
    const uid = (await kubectl(["get", "agenttask", name, "-n", namespace, "-o", "jsonpath={.metadata.uid}"]))
      .stdout;
    const regarding = { apiVersion: "agentyard.dev/v1alpha1", kind: "AgentTask", name, namespace, uid };
    const eventAt = (reason: string, at: string, type = "Normal") => ({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: `${name}.${reason.toLowerCase()}`, namespace },
      eventTime: at,
      reportingController: "agentyard.dev/operator",
      reportingInstance: "test",
      action: "Reconcile",
      reason,
      type,
      note: `${reason} happened`,
      regarding,
    });
    await apply(kubectl, [
      eventAt("Running", "2026-11-24T12:00:05.000000Z"),
      eventAt("Starting", "2026-11-24T12:00:01.000000Z"),
      eventAt("Failed", "2026-11-24T12:00:09.000000Z", "Warning"),
    ]);

    const res = await call<{ items: { reason: string; type: string; message: string; source?: string }[] }>(
      api,
      "GET",
      `/api/v1/tasks/${namespace}/${name}/events`,
      { token: tokens.carol },
    );
    expect(res.status).toBe(200);
    expect(res.body.items.map((e) => e.reason)).toEqual(["Starting", "Running", "Failed"]);
    expect(res.body.items[2]).toMatchObject({
      type: "Warning",
      message: "Failed happened",
      source: "agentyard.dev/operator",
    });

    const bob = await call(api, "GET", `/api/v1/tasks/${namespace}/${name}/events`, { token: tokens.bob });
    expect(bob.status).toBe(403);
    expect((bob.body as { detail: string }).detail).toContain("bob may not get agenttasks");
  });
});
