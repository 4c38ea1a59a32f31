import { type ClusterClient, clientFromKubeconfigFile } from "@agentyard/kube-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { RunningApi } from "../api/server.ts";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import { formatIssues } from "../schema/index.ts";
import { AgentTaskResourceSchema, OrgResourceSchema, ProblemSchema } from "../schema/rest.ts";
import { call, type EventsClient, grant, openEvents, type SseEvent, startTestApi } from "./support/api.ts";
import { applyManifest, clusterWithCrds, getOrg, startTestOperator } from "./support/operator.ts";

type Change = {
  type: string;
  object: { metadata: { name: string; resourceVersion: string }; status?: { phase?: string } };
};

const changeOf = (object: z.ZodType) => z.object({ type: z.enum(["ADDED", "MODIFIED", "DELETED"]), object });
const kind = z.object({ kind: z.enum(["task", "org"]) });

/** The data of each event, by its name, as the route's description states it. */
const EVENT_DATA: Record<string, z.ZodType> = {
  task: changeOf(AgentTaskResourceSchema),
  org: changeOf(OrgResourceSchema),
  synced: kind,
  reset: kind,
  error: ProblemSchema,
};

/** Every event a stream delivered is one the route describes, with data its schema allows. */
function expectFramed(events: SseEvent[]): void {
  expect(events.length).toBeGreaterThan(0);
  for (const event of events) {
    const schema = EVENT_DATA[event.event] ?? expect.unreachable(`an event named ${event.event}`);
    const result = schema.safeParse(event.data);
    expect(result.success ? [] : formatIssues(result.error), `${event.event} event`).toEqual([]);
  }
}

const ORG = "stream";
const NS = `org-${ORG}`;

/** GET /api/v1/events with the operator writing statuses, on a cluster of its own. */
describe("GET /api/v1/events", () => {
  let cluster: DevCluster;
  let operator: RunningOperator;
  let api: RunningApi;
  let reference: ClusterClient;
  let tokens: Record<"admin" | "alice" | "bob", string>;
  const kubectl = (args: string[], options?: { input?: string }) => cluster.kubectl(args, options);

  beforeAll(async () => {
    cluster = await clusterWithCrds("api-events");
    operator = await startTestOperator(cluster);
    await applyManifest(cluster, orgManifest(ORG, { repo: { url: "https://git.example/stream/app.git" } }));
    await waitFor("Org stream to be Ready", async () => {
      const org = await getOrg(cluster, ORG);
      return org?.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True");
    });
    await grant(kubectl, { kind: "User", name: "alice" }, ORG, NS, [
      "get",
      "list",
      "watch",
      "create",
      "patch",
    ]);
    api = await startTestApi(cluster.info(), kubectl, { heartbeatMs: 200 });
    reference = clientFromKubeconfigFile(cluster.kubeconfigPath(), "reference");
    tokens = cluster.info().tokens;
  });

  afterAll(async () => {
    await api?.close();
    await reference?.close();
    await operator?.stop();
    await cluster?.stop();
  });

  /** When an admin watch, beside the stream, first saw each resourceVersion of a task. */
  function referenceWatch(task: string): {
    seen: Map<string, { at: number; phase?: string }>;
    stop: () => void;
  } {
    const seen = new Map<string, { at: number; phase?: string }>();
    const watching = reference.watch(
      `/apis/agentyard.dev/v1alpha1/namespaces/${NS}/agenttasks`,
      { fieldSelector: `metadata.name=${task}` },
      (_type, object) => {
        const o = object as Change["object"];
        if (!seen.has(o.metadata.resourceVersion)) {
          seen.set(o.metadata.resourceVersion, { at: Date.now(), phase: o.status?.phase });
        }
      },
      () => {},
      60_000,
    );
    return { seen, stop: () => void watching.then((controller) => controller.abort()) };
  }

  const taskEvent = (name: string, phase?: string) => (e: SseEvent) =>
    e.event === "task" &&
    (e.data as Change).object.metadata.name === name &&
    (phase === undefined || (e.data as Change).object.status?.phase === phase);

  it("sends the current objects, then each status change the operator makes within a second", async () => {
    const stream = await openEvents(api, `/api/v1/events?org=${ORG}`, { token: tokens.alice });
    try {
      expect(stream.status).toBe(200);
      await stream.next(
        "tasks synced",
        (e) => e.event === "synced" && (e.data as { kind: string }).kind === "task",
      );
      await stream.next(
        "orgs synced",
        (e) => e.event === "synced" && (e.data as { kind: string }).kind === "org",
      );
      await stream.next("the Org itself", (e) => e.event === "org");

      const scheduled = await call<{ task: { name: string } }>(api, "POST", "/schedule", {
        token: tokens.alice,
        body: { org: ORG, task: "stream me" },
      });
      expect(scheduled.status).toBe(202);
      const name = scheduled.body.task.name;
      const watch = referenceWatch(name);
      try {
        await stream.next("the new task", taskEvent(name));
        const running = await stream.next("the task Running", taskEvent(name, "Running"), 30_000);
        expect(running.id).toMatch(/^task=\d+&org=\d+$/);

        // Every status the operator wrote reached the stream within a second of the API server showing it.
        await waitFor("the reference watch to see Running", async () =>
          [...watch.seen.values()].some((s) => s.phase === "Running") ? true : undefined,
        );
        const phases = [...watch.seen.entries()].filter(([, s]) => s.phase);
        expect(phases.length).toBeGreaterThan(0);
        for (const [version, seen] of phases) {
          const delivered = await stream.next(
            `resourceVersion ${version}`,
            (e) => e.event === "task" && (e.data as Change).object.metadata.resourceVersion === version,
          );
          expect(delivered.at - seen.at).toBeLessThan(1_000);
        }
      } finally {
        watch.stop();
      }
      expectFramed(stream.events);
    } finally {
      stream.close();
    }
  });

  it("resumes after Last-Event-ID with the changes made while disconnected, and no repeats", async () => {
    const first = await openEvents(api, `/api/v1/events?org=${ORG}`, { token: tokens.alice });
    const scheduled = await call<{ task: { name: string } }>(api, "POST", "/schedule", {
      token: tokens.alice,
      body: { org: ORG, task: "resume me" },
    });
    const name = scheduled.body.task.name;
    await first.next("the new task", taskEvent(name));
    const lastEventId = first.lastEventId;
    expect(lastEventId).toBeDefined();
    expectFramed(first.events);
    first.close();

    const cancelled = await call(api, "POST", `/api/v1/tasks/${NS}/${name}/cancel`, { token: tokens.alice });
    expect(cancelled.status).toBe(202);

    const resumed: EventsClient = await openEvents(api, `/api/v1/events?org=${ORG}`, {
      token: tokens.alice,
      ...(lastEventId ? { lastEventId } : {}),
    });
    try {
      const change = await resumed.next(
        "the cancel made while away",
        (e) => taskEvent(name)(e) && (e.data as { object: { spec: { cancel: boolean } } }).object.spec.cancel,
      );
      expect((change.data as Change).type).toBe("MODIFIED");
      await resumed.next("the task Cancelled", taskEvent(name, "Cancelled"), 30_000);
      // Resuming is not starting over: no snapshot (ADDED) and no synced, only changes.
      const repeats = resumed.events.filter(
        (e) => e.event === "synced" || (e.data as Change).type === "ADDED",
      );
      expect(repeats).toEqual([]);
      expectFramed(resumed.events);
    } finally {
      resumed.close();
    }
  });

  it("starts over with a reset when Last-Event-ID is too old", async () => {
    const stream = await openEvents(api, `/api/v1/events?org=${ORG}`, {
      token: tokens.alice,
      lastEventId: "task=1&org=1",
    });
    try {
      await stream.next("a reset", (e) => e.event === "reset");
      await stream.next("synced again", (e) => e.event === "synced");
      expectFramed(stream.events);
    } finally {
      stream.close();
    }
  });

  it("sends heartbeats on a quiet stream", async () => {
    const res = await fetch(`${api.url}/api/v1/events?org=${ORG}`, {
      headers: { authorization: `Bearer ${tokens.alice}` },
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const deadline = Date.now() + 5_000;
    while (!text.includes(": heartbeat") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    await reader.cancel();
    expect(text).toContain(": heartbeat");
  });

  it("refuses a caller who may not watch, before any stream opens", async () => {
    const bob = await openEvents(api, `/api/v1/events?org=${ORG}`, { token: tokens.bob });
    expect(bob.status).toBe(403);
    const anonymous = await openEvents(api, "/api/v1/events");
    expect(anonymous.status).toBe(401);
  });

  it("goes on through a restart of the API server, which refuses watches until its RBAC has synced", async () => {
    const stream = await openEvents(api, `/api/v1/events?org=${ORG}`, { token: tokens.alice });
    await stream.next(
      "the stream to be live",
      (e) => e.event === "synced" && (e.data as { kind: string }).kind === "task",
    );
    await cluster.restart("kube-apiserver");
    const name = "after-restart";
    await waitFor("the task to be created", async () => {
      const r = await cluster.kubectl(["apply", "-f", "-"], {
        input: JSON.stringify(taskManifest(name, NS, { org: ORG, prompt: "x" })),
      });
      return r.code === 0 ? true : undefined;
    });
    await waitFor(
      "the stream to carry the new task, or end",
      async () => (stream.events.some((e) => taskEvent(name)(e) || e.event === "error") ? true : undefined),
      { timeoutMs: 60_000 },
    );
    stream.close();
    expect(stream.events.filter((e) => e.event === "error")).toEqual([]);
    expectFramed(stream.events);
  });
});
