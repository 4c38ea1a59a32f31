import { describe, expect, it } from "vitest";
import { type AgentTask, type Org, OrgSchema } from "../../schema/index.ts";
import { ScheduleRequestSchema } from "../../schema/rest.ts";
import { IDEMPOTENCY_ANNOTATION } from "../idempotency.ts";
import { Problem } from "../problem.ts";
import { idempotencyOf, retriedTask, scheduleResponse, taskManifest } from "./schedule.ts";

const task = {
  apiVersion: "agentyard.dev/v1alpha1",
  kind: "AgentTask",
  metadata: { name: "task-x1", namespace: "org-acme", uid: "u-1" },
  spec: { org: "acme", prompt: "p", timeout: "1h", retries: 0, cancel: false },
} as AgentTask;

function org(spec: Record<string, unknown>, status?: Record<string, unknown>): Org {
  return OrgSchema.parse({
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "Org",
    metadata: { name: "acme" },
    spec,
    ...(status ? { status } : {}),
  });
}

describe("the answer to POST /schedule", () => {
  it("names the agent objects and an in-cluster editor for an Org without a mesh", () => {
    expect(scheduleResponse(task, org({}))).toEqual({
      task: { name: "task-x1", namespace: "org-acme", uid: "u-1" },
      org: "acme",
      cluster: "local",
      agent: {
        deployment: "task-x1",
        service: "task-x1",
        editorHostname: "task-x1.org-acme.svc.cluster.local",
      },
      links: {
        self: "/api/v1/tasks/org-acme/task-x1",
        logs: "/api/v1/tasks/org-acme/task-x1/logs",
        cancel: "/api/v1/tasks/org-acme/task-x1/cancel",
        events: "/api/v1/events?org=acme",
      },
    });
  });

  it("gives the tailnet name when the Org exposes editors with Tailscale", () => {
    const tailnet = org({ mesh: { provider: "tailscale", tailnetDomain: "tail1234.ts.net" } });
    expect(scheduleResponse(task, tailnet).agent.editorHostname).toBe(
      "acme-task-x1-e96534ff50.tail1234.ts.net",
    );
    const short = org({ mesh: { provider: "tailscale", hostnamePattern: "ed-{task}" } });
    expect(scheduleResponse(task, short).agent.editorHostname).toBe("ed-task-x1-e96534ff50");
  });

  it("names the Org's own cluster by its kubeconfig Secret", () => {
    const remote = org({
      cluster: { kubeconfigSecretRef: { name: "acme-kubeconfig", namespace: "clusters" } },
    });
    expect(scheduleResponse(task, remote).cluster).toBe("clusters/acme-kubeconfig");
    expect(scheduleResponse(task, org({}, { cluster: "clusters/other" })).cluster).toBe("clusters/other");
  });
});

const alice = { username: "alice", uid: "uid-alice" };

describe("the AgentTask a schedule creates", () => {
  const request = (body: unknown) => ScheduleRequestSchema.parse(body);

  it("lets the API server name a task sent without an Idempotency-Key", () => {
    const manifest = taskManifest(request({ org: "acme", task: "add a health endpoint" }), "org-acme", alice);
    expect(manifest).toEqual({
      apiVersion: "agentyard.dev/v1alpha1",
      kind: "AgentTask",
      metadata: {
        generateName: "task-",
        namespace: "org-acme",
        labels: { "agentyard.dev/org": "acme" },
        annotations: { "agentyard.dev/created-by": "alice", "agentyard.dev/created-by-uid": "uid-alice" },
      },
      spec: { org: "acme", prompt: "add a health endpoint" },
    });
  });

  it("names a task by its Idempotency-Key and keeps the request's hash beside it", () => {
    const body = request({ org: "acme", task: { prompt: "p", retries: 2 } });
    const idempotency = idempotencyOf("alice", "key-1", body);
    const manifest = taskManifest(body, "org-acme", alice, idempotency);
    expect(manifest.metadata).toMatchObject({
      name: idempotency.name,
      annotations: { [IDEMPOTENCY_ANNOTATION]: idempotency.hash },
    });
    expect(manifest.metadata).not.toHaveProperty("generateName");
    expect(manifest.spec).toMatchObject({ org: "acme", prompt: "p", retries: 2 });
  });

  it("gives a key the same name for the same caller only, and another request another hash", () => {
    const first = idempotencyOf("alice", "key-1", request({ org: "acme", task: "p" }));
    expect(idempotencyOf("alice", "key-1", request({ org: "acme", task: "p" }))).toEqual(first);
    expect(idempotencyOf("bob", "key-1", request({ org: "acme", task: "p" })).name).not.toBe(first.name);
    expect(idempotencyOf("alice", "key-1", request({ org: "acme", task: "q" })).hash).not.toBe(first.hash);
  });
});

describe("a retry under an Idempotency-Key", () => {
  const hash = "h-1";
  const existing = {
    ...task,
    metadata: {
      ...task.metadata,
      annotations: {
        [IDEMPOTENCY_ANNOTATION]: hash,
        "agentyard.dev/created-by": "alice",
        "agentyard.dev/created-by-uid": "uid-alice",
      },
    },
  } as AgentTask;
  const refusalOf = (run: () => unknown) => {
    try {
      run();
    } catch (err) {
      return err;
    }
  };

  it("gets back the task its first request created", () => {
    expect(retriedTask(existing, hash, alice)).toBe(existing);
  });

  it("records and checks no creator with --auth=none, where the api itself is the one caller", () => {
    const body = ScheduleRequestSchema.parse({ org: "acme", task: "p" });
    expect(taskManifest(body, "org-acme", undefined).metadata.annotations).toEqual({});
    expect(retriedTask(existing, hash, undefined)).toBe(existing);
  });

  it.each([
    ["another user", { username: "bob" }],
    ["a user of the same name with another uid", { username: "alice", uid: "uid-other" }],
    ["the same name without a uid", { username: "alice" }],
  ])("is refused with 409 when %s created the task", (_, creator) => {
    const refusal = refusalOf(() => retriedTask(existing, hash, creator));
    expect(refusal).toMatchObject({ status: 409, type: "urn:agentyard:problem:conflict" });
    expect((refusal as Problem).message).not.toContain("uid-alice");
  });

  it("is refused with 422 naming the task when the key was first used for another request", () => {
    const refusal = refusalOf(() => retriedTask(existing, "h-2", alice));
    expect(refusal).toBeInstanceOf(Problem);
    expect(refusal).toMatchObject({ status: 422, type: "urn:agentyard:problem:idempotency-key-reused" });
    expect((refusal as Problem).message).toContain("task org-acme/task-x1");
  });
});
