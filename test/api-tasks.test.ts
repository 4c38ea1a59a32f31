import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApi } from "../api/server.ts";
import { startApi } from "../api/server.ts";
import { kubeconfigYaml } from "../devcluster/kubeconfig.ts";
import { freePort } from "../devcluster/ports.ts";
import { agentSelector } from "../schema/contract/index.ts";
import { taskManifest } from "../schema/fixtures.test-support.ts";
import { type Answer, apply, call, createOrg, grant, must, startTestApi, taskNames } from "./support/api.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

type Task = {
  metadata: { name: string; namespace: string; uid: string };
  spec: Record<string, unknown>;
  status?: { phase?: string };
};
type Page = { items: Task[]; continue?: string };

const task = (name: string, namespace: string, org: string) =>
  taskManifest(name, namespace, { org, prompt: `work item ${name}` });

describe("the task and org API", () => {
  const cluster = sharedCluster();
  const tokens = cluster.tokens;
  let api: RunningApi;
  let org: string;
  let namespace: string;

  beforeAll(async () => {
    api = await startTestApi(cluster, kubectl);
    org = uniqueName("tasks");
    namespace = await createOrg(kubectl, org);
    await grant(
      kubectl,
      { kind: "User", name: "alice" },
      org,
      namespace,
      ["get", "list", "watch", "create", "patch", "delete"],
      [{ apiGroups: [""], resources: ["pods", "pods/log", "configmaps"], verbs: ["get", "list"] }],
    );
    await grant(kubectl, { kind: "User", name: "bob" }, org, namespace, ["get"]);
  });

  afterAll(async () => {
    await api?.close();
  });

  it("walks 250 tasks page by page with continue tokens, each exactly once", async () => {
    const pageOrg = uniqueName("pages");
    const pageNamespace = await createOrg(kubectl, pageOrg);
    await grant(kubectl, { kind: "User", name: "alice" }, pageOrg, pageNamespace, ["list", "patch"]);
    const names = Array.from({ length: 250 }, (_, i) => `t-${String(i).padStart(3, "0")}`);
    await apply(
      kubectl,
      names.map((n) => task(n, pageNamespace, pageOrg)),
    );

    /** Follows continue tokens to the end; the names seen and the pages it took. */
    const walk = async (filter: string, limit: number) => {
      const seen: string[] = [];
      let pages = 0;
      let next: string | undefined;
      do {
        const query: string = `org=${pageOrg}${filter}&limit=${limit}${next ? `&continue=${encodeURIComponent(next)}` : ""}`;
        const res: Answer<Page> = await call<Page>(api, "GET", `/api/v1/tasks?${query}`, {
          token: tokens.alice,
        });
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(limit);
        for (const item of res.body.items) {
          expect(item).toMatchObject({ apiVersion: "agentyard.dev/v1alpha1", kind: "AgentTask" });
          expect(item.metadata).not.toHaveProperty("managedFields");
          seen.push(item.metadata.name);
        }
        next = res.body.continue;
        pages++;
      } while (next);
      return { seen: seen.sort(), pages };
    };

    expect(await walk("", 40)).toEqual({ seen: names, pages: 7 });

    // A phase filter the API server cannot apply still pages through every match, and nothing else.
    const running = ["t-003", "t-077", "t-078", "t-190", "t-249"];
    for (const name of running) {
      await must(
        kubectl([
          "patch",
          "agenttask",
          name,
          "-n",
          pageNamespace,
          "--subresource=status",
          "--type=merge",
          "-p",
          '{"status":{"phase":"Running"}}',
        ]),
        "status patch",
      );
    }
    expect((await walk("&phase=Running", 2)).seen).toEqual(running);
  });

  it("refuses a list across all namespaces to a user with namespace rights only", async () => {
    const res = await call(api, "GET", "/api/v1/tasks", { token: tokens.alice });
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain("alice may not list agenttasks.agentyard.dev in all namespaces");
  });

  it("validates query parameters", async () => {
    const res = await call(api, "GET", "/api/v1/tasks?org=x&phase=Sleeping&limit=9999", {
      token: tokens.alice,
    });
    expect(res.status).toBe(400);
    const errors = (res.body.errors as string[]).join("\n");
    expect(errors).toContain("query parameter phase:");
    expect(errors).toContain("query parameter limit: must be between 1 and 500");
  });

  it("reads, cancels and deletes a task as the caller", async () => {
    const scheduled = await call<{ task: { name: string } }>(api, "POST", "/schedule", {
      token: tokens.alice,
      body: { org, task: "read me" },
    });
    expect(scheduled.status).toBe(202);
    const name = scheduled.body.task.name;
    const path = `/api/v1/tasks/${namespace}/${name}`;

    const read = await call<Task>(api, "GET", path, { token: tokens.bob });
    expect(read.status).toBe(200);
    expect(read.body.spec).toMatchObject({ org, prompt: "read me", cancel: false });

    const bobCancels = await call(api, "POST", `${path}/cancel`, { token: tokens.bob });
    expect(bobCancels.status).toBe(403);
    expect(bobCancels.body.detail).toContain(
      `bob may not patch agenttasks.agentyard.dev "${name}" in namespace ${namespace}`,
    );

    const cancelled = await call<Task>(api, "POST", `${path}/cancel`, { token: tokens.alice });
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.spec.cancel).toBe(true);

    const bobDeletes = await call(api, "DELETE", path, { token: tokens.bob });
    expect(bobDeletes.status).toBe(403);

    const deleted = await call(api, "DELETE", path, { token: tokens.alice });
    expect(deleted.status).toBe(202);
    expect(deleted.body).toMatchObject({ name, namespace, uid: read.body.metadata.uid });
    expect(await taskNames(kubectl, namespace)).not.toContain(name);

    const gone = await call(api, "GET", path, { token: tokens.alice });
    expect(gone.status).toBe(404);
    expect(gone.body.detail).toBe(`task ${namespace}/${name} not found`);
    expect((await call(api, "POST", `${path}/cancel`, { token: tokens.alice })).status).toBe(404);
  });

  it("resumes a task as the caller: spec.suspend false and the api's time, in one patch", async () => {
    const name = uniqueName("held");
    await apply(kubectl, [{ ...task(name, namespace, org), spec: { org, prompt: "held", suspend: true } }]);
    const path = `/api/v1/tasks/${namespace}/${name}/resume`;
    const stored = async () =>
      JSON.parse(
        await must(kubectl(["get", "agenttask", name, "-n", namespace, "-o", "json"]), "get task"),
      ) as {
        metadata: { uid: string; generation: number; annotations?: Record<string, string> };
        spec: { suspend?: boolean };
      };

    // Who may only read is refused, and the task is left as it was.
    const bobResumes = await call(api, "POST", path, { token: tokens.bob });
    expect(bobResumes.status).toBe(403);
    expect(bobResumes.headers.get("content-type")).toContain("application/problem+json");
    expect(bobResumes.body.detail).toContain(
      `bob may not patch agenttasks.agentyard.dev "${name}" in namespace ${namespace}`,
    );
    // A body cannot choose the time: the request is refused before anything is written.
    const chosen = await call(api, "POST", path, {
      token: tokens.alice,
      body: { resumedAt: "2000-01-01T00:00:00Z" },
    });
    expect(chosen.status).toBe(400);
    expect(chosen.body.errors).toEqual(["<root>: resume takes no body; the api records the time itself"]);
    const before = await stored();
    expect(before.spec.suspend).toBe(true);
    expect(before.metadata.annotations?.["agentyard.dev/resumed-at"]).toBeUndefined();

    const asked = Date.now();
    const resumed = await call<{ name: string; namespace: string; uid: string; resumedAt: string }>(
      api,
      "POST",
      path,
      { token: tokens.alice },
    );
    expect(resumed.status).toBe(202);
    expect(resumed.body).toMatchObject({ name, namespace, uid: before.metadata.uid });
    // metav1.Time's whole seconds.
    expect(resumed.body.resumedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(resumed.body.resumedAt)).toBeGreaterThanOrEqual(Math.floor(asked / 1000) * 1000);
    expect(Date.parse(resumed.body.resumedAt)).toBeLessThanOrEqual(Date.now());
    const after = await stored();
    expect(after.spec.suspend).toBe(false);
    expect(after.metadata.annotations?.["agentyard.dev/resumed-at"]).toBe(resumed.body.resumedAt);

    // Resuming a task that is not suspended is harmless: 202, and only the annotation moves on.
    const again = await call<{ resumedAt: string }>(api, "POST", path, { token: tokens.alice, body: {} });
    expect(again.status).toBe(202);
    const last = await stored();
    expect(last.spec.suspend).toBe(false);
    expect(last.metadata.generation).toBe(after.metadata.generation);
    expect(last.metadata.annotations?.["agentyard.dev/resumed-at"]).toBe(again.body.resumedAt);

    const missing = await call(api, "POST", `/api/v1/tasks/${namespace}/no-such-task/resume`, {
      token: tokens.alice,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe(`task ${namespace}/no-such-task not found`);
    expect(await taskNames(kubectl, namespace)).not.toContain("no-such-task");

    const badName = await call(api, "POST", `/api/v1/tasks/${namespace}/Not_A_Name/resume`, {
      token: tokens.alice,
    });
    expect(badName.status).toBe(400);
    expect((badName.body.errors as string[])[0]).toMatch(/^path parameter name: must be a DNS-1123 label/);
  });

  it("refuses path parameters that are not names", async () => {
    const res = await call(api, "GET", "/api/v1/tasks/Bad%20NS/x", { token: tokens.alice });
    expect(res.status).toBe(400);
    expect((res.body.errors as string[])[0]).toMatch(/^path parameter namespace: must be a DNS-1123 label/);
  });

  it("tails the agent's log from its state ConfigMap when the kubelet cannot serve it", async () => {
    const name = uniqueName("logs");
    await apply(kubectl, [task(name, namespace, org)]);
    const path = `/api/v1/tasks/${namespace}/${name}/logs`;

    const none = await call(api, "GET", path, { token: tokens.alice });
    expect(none.status).toBe(404);
    expect(none.body.type).toBe("urn:agentyard:problem:log-unavailable");
    expect(none.body.detail).toContain("the task has no agent pod");

    // A kwok pod runs, but no kubelet serves its log.
    await apply(kubectl, [
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `${name}-pod`, namespace, labels: agentSelector(name) },
        spec: { containers: [{ name: "agent", image: "agents/test:1" }] },
      },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${name}-state`, namespace },
        data: { attempt: "1", logTail: "cloning\nrunning\ntests pass\npushed\n" },
      },
    ]);
    const tail = await call(api, "GET", `${path}?tailLines=2`, { token: tokens.alice });
    expect(tail.status).toBe(200);
    expect(tail.body).toMatchObject({ source: "state", container: "agent", log: "tests pass\npushed\n" });
    expect(tail.body.podLogError).toContain(`the log of pod ${name}-pod is not available`);

    const bob = await call(api, "GET", path, { token: tokens.bob });
    expect(bob.status).toBe(403);
    expect(bob.body.detail).toContain("bob may not list pods");
  });

  it("lists and reads Orgs as the caller", async () => {
    const one = await call<{ metadata: { name: string }; spec: Record<string, unknown> }>(
      api,
      "GET",
      `/api/v1/orgs/${org}`,
      {
        token: tokens.alice,
      },
    );
    expect(one.status).toBe(200);
    expect(one.body.metadata.name).toBe(org);
    expect(one.body.metadata).not.toHaveProperty("managedFields");

    const forbidden = await call(api, "GET", "/api/v1/orgs", { token: tokens.alice });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toContain("alice may not list orgs.agentyard.dev");

    const all = await call<{ items: { metadata: { name: string } }[] }>(
      api,
      "GET",
      "/api/v1/orgs?limit=500",
      { token: tokens.admin },
    );
    expect(all.status).toBe(200);
    expect(all.body.items.map((o) => o.metadata.name)).toContain(org);

    const missing = await call(api, "GET", "/api/v1/orgs/no-such-org", { token: tokens.admin });
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toContain('org "no-such-org" not found');
  });

  it("answers 503 with Retry-After when the Kubernetes API server does not answer", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agentyard-api-down-"));
    const kubeconfig = join(dir, "kubeconfig");
    const port = await freePort();
    await writeFile(
      kubeconfig,
      kubeconfigYaml({
        name: "down",
        server: `https://127.0.0.1:${port}`,
        ca: cluster.ca,
        user: "api",
        token: "unused",
      }),
    );
    const down = await startApi({
      kubeconfig,
      listen: "127.0.0.1:0",
      auth: "token",
      checkResponses: true,
      log: pino({ level: "silent" }),
    });
    try {
      const res = await call(down, "POST", "/schedule", { token: tokens.alice, body: { org, task: "x" } });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(res.body.detail).toContain("the Kubernetes API server did not answer");
      expect(JSON.stringify(res.body)).not.toContain(tokens.alice);
      expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at /);
      expect((await call(down, "GET", "/readyz")).status).toBe(503);
      expect((await call(down, "GET", "/healthz")).status).toBe(200);
    } finally {
      await down.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
