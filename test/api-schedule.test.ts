import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { IDEMPOTENCY_ANNOTATION, idempotentTaskName, requestHash } from "../api/idempotency.ts";
import { kubeRequests } from "../api/metrics.ts";
import type { RunningApi } from "../api/server.ts";
import { readAuditLog } from "../devcluster/audit.ts";
import type { Whoami } from "../schema/rest.ts";
import { apply, call, createOrg, grant, must, startTestApi, taskNames } from "./support/api.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

/** The part of an audited SubjectAccessReview's body these tests read. */
interface SubjectAccessReview {
  spec: { user?: string; uid?: string; extra?: Record<string, string[]> };
}

/** GETs the api (in this process) sent to the API server so far. */
async function kubeGets(): Promise<number> {
  const { values } = await kubeRequests.get();
  return values.filter((v) => v.labels.verb === "GET").reduce((sum, v) => sum + v.value, 0);
}

/** POST /schedule against the shared devcluster, with real tokens and real RBAC. */
describe("POST /schedule", () => {
  const cluster = sharedCluster();
  const tokens = cluster.tokens;
  let api: RunningApi;
  let org: string;
  let namespace: string;

  beforeAll(async () => {
    api = await startTestApi(cluster, kubectl);
    org = uniqueName("sched");
    namespace = await createOrg(kubectl, org, { repo: { url: "https://git.example.com/acme/app.git" } });
    await grant(kubectl, { kind: "User", name: "alice" }, org, namespace, ["create", "get", "list"]);
    // bob may read the Org but not create tasks in its namespace.
    await grant(kubectl, { kind: "User", name: "bob" }, org, namespace, ["get"]);
  });

  afterAll(async () => {
    await api?.close();
  });

  it("creates an AgentTask for an allowed user and answers 202 with where it is", async () => {
    const res = await call(api, "POST", "/schedule", {
      token: tokens.alice,
      body: { org, task: "add a health endpoint" },
    });
    expect(res.status).toBe(202);
    const body = res.body as { task: { name: string; namespace: string; uid: string }; [k: string]: unknown };
    expect(body.task.namespace).toBe(namespace);
    expect(res.headers.get("location")).toBe(`/api/v1/tasks/${namespace}/${body.task.name}`);
    expect(body).toMatchObject({
      org,
      cluster: "local",
      agent: {
        deployment: body.task.name,
        service: body.task.name,
        editorHostname: `${body.task.name}.${namespace}.svc.cluster.local`,
      },
      links: { self: `/api/v1/tasks/${namespace}/${body.task.name}`, events: `/api/v1/events?org=${org}` },
    });

    const got = await kubectl(["get", "agenttask", body.task.name, "-n", namespace, "-o", "json"]);
    expect(got.code).toBe(0);
    const task = JSON.parse(got.stdout);
    expect(task.metadata.uid).toBe(body.task.uid);
    expect(task.spec).toMatchObject({ org, prompt: "add a health endpoint" });
  });

  it("passes the task's options through", async () => {
    const res = await call(api, "POST", "/schedule", {
      token: tokens.alice,
      body: {
        org,
        task: {
          prompt: "upgrade dependencies",
          repo: { url: "https://git.example.com/acme/other.git", branch: "develop" },
          command: ["agent", "--fast"],
          timeout: "30m",
          retries: 2,
          ttlSecondsAfterFinished: 600,
        },
      },
    });
    expect(res.status).toBe(202);
    const name = (res.body as { task: { name: string } }).task.name;
    const task = JSON.parse(
      (await kubectl(["get", "agenttask", name, "-n", namespace, "-o", "json"])).stdout,
    );
    expect(task.spec).toMatchObject({
      repo: { url: "https://git.example.com/acme/other.git", branch: "develop" },
      command: ["agent", "--fast"],
      timeout: "30m",
      retries: 2,
      ttlSecondsAfterFinished: 600,
    });
  });

  it("answers 403 naming the verb and resource to a user without rights, and creates nothing", async () => {
    const before = await taskNames(kubectl, namespace);
    const res = await call(api, "POST", "/schedule", {
      token: tokens.bob,
      body: { org, task: "not allowed" },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toContain(
      `bob may not create agenttasks.agentyard.dev in namespace ${namespace}`,
    );
    expect(await taskNames(kubectl, namespace)).toEqual(before);
  });

  it("answers 403 to a user who may not even read the Org", async () => {
    const res = await call(api, "POST", "/schedule", { token: tokens.carol, body: { org, task: "x" } });
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain(`carol may not get orgs.agentyard.dev "${org}"`);
  });

  it("reads the Org once for a caller's burst of schedules, and never for another caller", async () => {
    const burst = uniqueName("burst");
    const burstNamespace = await createOrg(kubectl, burst);
    await grant(kubectl, { kind: "User", name: "alice" }, burst, burstNamespace, ["create", "get", "list"]);
    // carol may create tasks in the namespace, but may not read the Org: she must not be answered
    // with the Org alice's schedules read.
    await apply(kubectl, [
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "carol-creates", namespace: burstNamespace },
        rules: [{ apiGroups: ["agentyard.dev"], resources: ["agenttasks"], verbs: ["create"] }],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "carol-creates", namespace: burstNamespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "carol-creates" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "carol" }],
      },
    ]);
    const getsBefore = await kubeGets();
    for (let i = 0; i < 5; i++) {
      const res = await call(api, "POST", "/schedule", {
        token: tokens.alice,
        body: { org: burst, task: `t${i}` },
      });
      expect(res.status).toBe(202);
    }
    const refused = await call(api, "POST", "/schedule", {
      token: tokens.carol,
      body: { org: burst, task: "x" },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain(`carol may not get orgs.agentyard.dev "${burst}"`);
    expect(await taskNames(kubectl, burstNamespace)).toHaveLength(5);

    const creates = await vi.waitFor(
      async () => {
        const events = (await readAuditLog(cluster.auditLog)).filter(
          (e) => e.objectRef?.namespace === burstNamespace,
        );
        const made = events.filter((e) => e.verb === "create" && e.objectRef?.resource === "agenttasks");
        if (made.length < 5) throw new Error(`${made.length} audited creates of 5 yet`);
        return made;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(creates.every((e) => e.impersonatedUser?.username === "alice")).toBe(true);
    // Gets are not audited: the api's own count of its requests to the API server tells.
    expect((await kubeGets()) - getsBefore).toBe(1);
  });

  it("answers 401 without a token or with a token Kubernetes does not know", async () => {
    const none = await call(api, "POST", "/schedule", { body: { org, task: "x" } });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(none.body).toMatchObject({ type: "urn:agentyard:problem:unauthenticated", status: 401 });
    const forged = await call(api, "POST", "/schedule", {
      token: "not-a-real-token",
      body: { org, task: "x" },
    });
    expect(forged.status).toBe(401);
    expect(JSON.stringify(forged.body)).not.toContain("not-a-real-token");
  });

  it("answers 404 naming an unknown org", async () => {
    const missing = uniqueName("missing");
    const res = await call(api, "POST", "/schedule", {
      token: tokens.admin,
      body: { org: missing, task: "x" },
    });
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain(`org "${missing}" not found`);
  });

  const badBodies: [string, unknown, string[]][] = [
    ["no org", { task: "x" }, ["org: Required value"]],
    ["no task", { org: "acme" }, ["task: "]],
    ["an org that is no DNS label", { org: "Acme Corp", task: "x" }, ["org: must be a DNS-1123 label"]],
    ["an empty prompt", { org: "acme", task: "   " }, ["task: prompt must not be empty"]],
    ["a task that is a number", { org: "acme", task: 42 }, ["task: must be a prompt string or an object"]],
    ["an unknown top-level field", { org: "acme", task: "x", priority: 1 }, ['Unrecognized key: "priority"']],
    [
      "several bad task fields at once",
      { org: "acme", task: { prompt: "x", retries: 11, timeout: "forever", colour: "red" } },
      ["task.retries: must be between 0 and 10", "task.timeout:", 'task: Unrecognized key: "colour"'],
    ],
    [
      "a repository URL with credentials",
      { org: "acme", task: { prompt: "x", repo: { url: "https://user:secret@git.example.com/a.git" } } },
      ["task.repo.url: must be a git URL"],
    ],
    [
      "an empty repo",
      { org: "acme", task: { prompt: "x", repo: {} } },
      ["task.repo: repo must set url, branch or both"],
    ],
    ["a body that is not an object", [1, 2], ["<root>:"]],
    [
      "a prompt with a NUL",
      { org: "acme", task: "fix\u0000 it" },
      ["task: must not contain NUL or other control characters"],
    ],
    [
      "a prompt with a carriage return",
      { org: "acme", task: { prompt: "fix\r\nit" } },
      ["task.prompt: must not contain NUL or other control characters"],
    ],
    [
      "a prompt too large for one environment variable",
      { org: "acme", task: { prompt: "é".repeat(65_528) } },
      ["task.prompt: must be at most 131054 bytes in UTF-8"],
    ],
    [
      "a prompt one code point over the limit",
      { org: "acme", task: { prompt: "😀".repeat(21_000) + "a".repeat(44_537) } },
      ["task.prompt: must be at most 65536 characters"],
    ],
    [
      "a command with a NUL",
      { org: "acme", task: { prompt: "x", command: ["sh", "-c", "make\u0000"] } },
      ["task.command[2]: must not contain NUL"],
    ],
    [
      "a command too large for one environment variable",
      { org: "acme", task: { prompt: "x", command: Array.from({ length: 16 }, () => "x".repeat(4096)) } },
      ["task.command: must be at most 65000 bytes in UTF-8 in all"],
    ],
  ];

  it.each(badBodies)(
    "answers 400 to %s, naming every bad field, and creates nothing",
    async (_, body, messages) => {
      const before = await taskNames(kubectl, namespace);
      const res = await call(api, "POST", "/schedule", { token: tokens.alice, body });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe("urn:agentyard:problem:invalid-request");
      const errors = (res.body.errors as string[]).join("\n");
      for (const message of messages) expect(errors).toContain(message);
      expect(await taskNames(kubectl, namespace)).toEqual(before);
    },
  );

  it("creates a task whose prompt is at the length limit in code points, astral characters included", async () => {
    // 65536 code points but 86536 UTF-16 units: the API server counts code points, and so must zod.
    const prompt = "😀".repeat(21_000) + "a".repeat(44_536);
    const res = await call(api, "POST", "/schedule", {
      token: tokens.alice,
      body: { org, task: { prompt } },
    });
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(202);
    const { name } = (res.body as { task: { name: string } }).task;
    const stored = await kubectl(["get", "agenttask", name, "-n", namespace, "-o", "json"]);
    expect(JSON.parse(stored.stdout).spec.prompt).toBe(prompt);
  });

  it("answers 400 to a body that is not JSON", async () => {
    const res = await call(api, "POST", "/schedule", { token: tokens.alice, body: "{not json" });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe("urn:agentyard:problem:invalid-request");
  });

  it("answers 413 to a body above the limit", async () => {
    const res = await call(api, "POST", "/schedule", {
      token: tokens.alice,
      body: { org, task: "x".repeat(300 * 1024) },
    });
    expect(res.status).toBe(413);
  });

  it("creates exactly one task for 50 concurrent retries with one Idempotency-Key", async () => {
    const key = `retry-${uniqueName("k")}`;
    const body = { org, task: { prompt: "exactly once", retries: 1 } };
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        call(api, "POST", "/schedule", { token: tokens.alice, body, headers: { "idempotency-key": key } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(202));
    const names = new Set(answers.map((a) => (a.body as { task: { name: string } }).task.name));
    const uids = new Set(answers.map((a) => (a.body as { task: { uid: string } }).task.uid));
    expect(names.size).toBe(1);
    expect(uids.size).toBe(1);
    const [name] = names;
    const withKey = (await taskNames(kubectl, namespace)).filter((n) => n === name);
    expect(withKey).toHaveLength(1);

    // The same key with another request is refused, and changes nothing.
    const reused = await call(api, "POST", "/schedule", {
      token: tokens.alice,
      body: { org, task: "something else" },
      headers: { "idempotency-key": key },
    });
    expect(reused.status).toBe(422);
    expect(reused.body.type).toBe("urn:agentyard:problem:idempotency-key-reused");

    // Keys belong to their caller: admin's request with the same key is a new task.
    const other = await call(api, "POST", "/schedule", {
      token: tokens.admin,
      body,
      headers: { "idempotency-key": key },
    });
    expect(other.status).toBe(202);
    expect((other.body as { task: { name: string } }).task.name).not.toBe(name);
  });

  it("acts with the caller's groups: rights granted to a group are honoured", async () => {
    const groupOrg = uniqueName("grp");
    const groupNamespace = await createOrg(kubectl, groupOrg);
    // Every test user is in agentyard:testers (devcluster/cluster.ts); carol has no rights of her own.
    await grant(kubectl, { kind: "Group", name: "agentyard:testers" }, groupOrg, groupNamespace, ["create"]);
    const res = await call(api, "POST", "/schedule", {
      token: tokens.carol,
      body: { org: groupOrg, task: "via group" },
    });
    expect(res.status).toBe(202);
    expect(await taskNames(kubectl, groupNamespace)).toHaveLength(1);
  });

  it("answers 409 while the Org's namespace does not exist yet", async () => {
    const early = uniqueName("early");
    const created = await kubectl(["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "agentyard.dev/v1alpha1",
        kind: "Org",
        metadata: { name: early },
        spec: {},
      }),
    });
    expect(created.code).toBe(0);
    const res = await call(api, "POST", "/schedule", {
      token: tokens.admin,
      body: { org: early, task: "x" },
    });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain(`namespace org-${early} of org ${early} does not exist yet`);
  });
});

/** Who a task was scheduled by: recorded on the task, honoured by retries, and the whole identity impersonated. */
describe("POST /schedule as whom", () => {
  const cluster = sharedCluster();
  const tokens = cluster.tokens;
  let api: RunningApi;
  let org: string;
  let namespace: string;

  beforeAll(async () => {
    api = await startTestApi(cluster, kubectl);
    org = uniqueName("whom");
    namespace = await createOrg(kubectl, org);
    for (const user of ["alice", "bob"]) {
      await grant(kubectl, { kind: "User", name: user }, org, namespace, ["create", "get", "list", "patch"]);
    }
  });

  afterAll(async () => {
    await api?.close();
  });

  /** The api's create of a task, as the API server's audit log saw it. */
  async function auditedCreate(name: string) {
    return vi.waitFor(
      async () => {
        const event = (await readAuditLog(cluster.auditLog)).find(
          (e) => e.verb === "create" && e.objectRef?.resource === "agenttasks" && e.objectRef.name === name,
        );
        if (!event) throw new Error(`no audited create of ${name} yet`);
        return event;
      },
      { timeout: 10_000, interval: 100 },
    );
  }

  it("records the creator on the task and impersonates the caller's uid", async () => {
    const res = await call(api, "POST", "/schedule", {
      token: tokens.alice,
      body: { org, task: "who am I" },
      headers: { "idempotency-key": uniqueName("k") },
    });
    expect(res.status).toBe(202);
    const name = (res.body as { task: { name: string } }).task.name;
    const task = JSON.parse(
      await must(kubectl(["get", "agenttask", name, "-n", namespace, "-o", "json"]), "kubectl get"),
    );
    // devcluster/cluster.ts gives each test user a uid equal to their name.
    expect(task.metadata.annotations).toMatchObject({
      "agentyard.dev/created-by": "alice",
      "agentyard.dev/created-by-uid": "alice",
    });
    expect((await auditedCreate(name)).impersonatedUser).toMatchObject({ username: "alice", uid: "alice" });
  });

  it("impersonates a ServiceAccount with its uid and its token's extras", async () => {
    await apply(kubectl, [{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "ci", namespace } }]);
    await grant(kubectl, { kind: "Group", name: `system:serviceaccounts:${namespace}` }, org, namespace, [
      "create",
    ]);
    const token = (
      await must(kubectl(["create", "token", "ci", "-n", namespace, "--duration=10m"]), "TokenRequest")
    ).trim();
    const uid = (
      await must(
        kubectl(["get", "serviceaccount", "ci", "-n", namespace, "-o", "jsonpath={.metadata.uid}"]),
        "kubectl get serviceaccount",
      )
    ).trim();
    // With a key the task is named in the request, so the audit log names it too.
    const res = await call(api, "POST", "/schedule", {
      token,
      body: { org, task: "from CI" },
      headers: { "idempotency-key": uniqueName("k") },
    });
    expect(res.status).toBe(202);
    const impersonated = (await auditedCreate((res.body as { task: { name: string } }).task.name))
      .impersonatedUser;
    expect(impersonated).toMatchObject({ username: `system:serviceaccount:${namespace}:ci`, uid });
    expect(impersonated?.extra?.["authentication.kubernetes.io/credential-id"]?.[0]).toMatch(/^JTI=/);
    // The api asked the API server about that same identity, uid and extras included.
    const review = await vi.waitFor(
      async () => {
        const asked = (await readAuditLog(cluster.auditLog))
          .map((e) => (e.objectRef?.resource === "subjectaccessreviews" ? e.requestObject : undefined))
          .find((body) => (body as SubjectAccessReview | undefined)?.spec?.user === impersonated?.username);
        if (!asked) throw new Error("no audited SubjectAccessReview of the ServiceAccount yet");
        return asked as SubjectAccessReview;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(review.spec.uid).toBe(uid);
    expect(review.spec.extra).toEqual(impersonated?.extra);
    // whoami tells the caller the same identity, uid included.
    const me = await call<Whoami>(api, "GET", "/api/v1/whoami", { token });
    expect(me.body.user).toMatchObject({ username: `system:serviceaccount:${namespace}:ci`, uid });
  });

  it("never hands a caller's retry a task another caller created under the same name", async () => {
    const key = uniqueName("squat");
    const body = { org, task: "the real work" };
    // bob may create tasks too, and the name alice's key gives is predictable: he takes it first,
    // with the very annotation a first request by alice would have left.
    const name = idempotentTaskName("alice", key);
    const squatted = await kubectl(["create", "-f", "-"], {
      user: "bob",
      input: JSON.stringify({
        apiVersion: "agentyard.dev/v1alpha1",
        kind: "AgentTask",
        metadata: {
          name,
          namespace,
          annotations: {
            [IDEMPOTENCY_ANNOTATION]: requestHash({ org, task: { prompt: "the real work" } }),
          },
        },
        spec: { org, prompt: "the real work" },
      }),
    });
    expect(squatted.code, squatted.stderr).toBe(0);
    const res = await call(api, "POST", "/schedule", {
      token: tokens.alice,
      body,
      headers: { "idempotency-key": key },
    });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain("send another Idempotency-Key");
    expect(res.body).not.toHaveProperty("task");
  });

  it("refuses a task that names someone else as its creator, and a change of its creator", async () => {
    const forged = (annotations: Record<string, string>) =>
      kubectl(["create", "-f", "-"], {
        user: "bob",
        input: JSON.stringify({
          apiVersion: "agentyard.dev/v1alpha1",
          kind: "AgentTask",
          metadata: { name: uniqueName("forged"), namespace, annotations },
          spec: { org, prompt: "in alice's name" },
        }),
      });
    const asAlice = await forged({ "agentyard.dev/created-by": "alice" });
    expect(asAlice.code).not.toBe(0);
    expect(asAlice.stderr).toContain(
      "agentyard.dev/created-by must be the username of whoever creates the task",
    );
    const withAlicesUid = await forged({
      "agentyard.dev/created-by": "bob",
      "agentyard.dev/created-by-uid": "alice",
    });
    expect(withAlicesUid.code).not.toBe(0);
    expect(withAlicesUid.stderr).toContain("created-by-uid must be the uid");

    const res = await call(api, "POST", "/schedule", { token: tokens.alice, body: { org, task: "mine" } });
    expect(res.status).toBe(202);
    const name = (res.body as { task: { name: string } }).task.name;
    const changed = await kubectl(
      ["annotate", "agenttask", name, "-n", namespace, "--overwrite", "agentyard.dev/created-by=bob"],
      { user: "bob" },
    );
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toContain("never changes");
  });

  it("refuses a task for an Org that is being deleted, and creates nothing", async () => {
    const going = uniqueName("going");
    const goingNamespace = await createOrg(kubectl, going);
    await grant(kubectl, { kind: "User", name: "alice" }, going, goingNamespace, ["create", "get", "list"]);
    // A finalizer of the test's own holds the Org in deletion, as the operator's cleanup would.
    await must(
      kubectl([
        "patch",
        "org",
        going,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":["test.agentyard.dev/hold"]}}',
      ]),
      "kubectl patch org",
    );
    await must(kubectl(["delete", "org", going, "--wait=false"]), "kubectl delete org");
    try {
      const res = await call(api, "POST", "/schedule", {
        token: tokens.alice,
        body: { org: going, task: "p" },
      });
      expect(res.status).toBe(409);
      expect((res.body as { detail: string }).detail).toBe(
        `org ${going} is being deleted: it takes no new tasks`,
      );
      expect(await taskNames(kubectl, goingNamespace)).toEqual([]);
    } finally {
      await must(
        kubectl(["patch", "org", going, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']),
        "kubectl patch org",
      );
    }
  });
});
