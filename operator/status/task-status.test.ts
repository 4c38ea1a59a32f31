import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { LOCAL_PORTS_ANNOTATION } from "../../schema/contract/index.ts";
import { org as makeOrg, task as makeTask } from "../../schema/fixtures.test-support.ts";
import type { AgentTaskStatus } from "../../schema/index.ts";
import { type ConditionInput, kstatus } from "./conditions.ts";
import type { TaskDecision } from "./task-decision.ts";
import {
  decidedReport,
  environmentTooLarge,
  imageOverrideRefused,
  invalidSpec,
  namespaceMismatch,
  orgNotFound,
  orgRefused,
  stalled,
  taskStatusEvent,
  waitingForCluster,
  waitingForRuntimeClass,
} from "./task-status.ts";

function was(phase: AgentTaskStatus["phase"], conditions: ConditionInput[]): AgentTaskStatus {
  return {
    phase,
    conditions: conditions.map((c) => ({
      ...c,
      observedGeneration: 1,
      lastTransitionTime: "2026-11-24T11:00:00Z",
    })),
  };
}

describe("taskStatusEvent", () => {
  it("tells of a phase change, Normal while the task goes well", () => {
    const before = was("Starting", kstatus("Reconciling", "Starting", "starting"));
    const conditions = kstatus("Ready", "Running", "the agent is running attempt 1");
    const next = { phase: "Running" as const, message: "the agent is running attempt 1" };
    expect(taskStatusEvent(before, next, conditions)).toEqual({
      type: "Normal",
      reason: "Running",
      note: "the agent is running attempt 1",
    });
  });

  it("tells of a new reason within a phase", () => {
    const before = was("Starting", kstatus("Reconciling", "Starting", "starting"));
    const conditions = kstatus("Reconciling", "Retrying", "starting attempt 2");
    const next = { phase: "Starting" as const, message: "starting attempt 2" };
    expect(taskStatusEvent(before, next, conditions)).toMatchObject({ type: "Normal", reason: "Retrying" });
  });

  it("stays quiet when only the message or a field changes", () => {
    const before = was("Starting", kstatus("Reconciling", "Starting", "waiting for the agent pod"));
    const conditions = kstatus("Reconciling", "Starting", "ContainerCreating");
    expect(
      taskStatusEvent(before, { phase: "Starting", message: "ContainerCreating" }, conditions),
    ).toBeUndefined();
  });

  it("warns of a stall, a failure, a timeout and a retry backoff", () => {
    const running = was("Running", kstatus("Ready", "Running", "running"));
    const cases: [AgentTaskStatus["phase"], ConditionInput[]][] = [
      ["Pending", kstatus("Stalled", "InvalidSpec", "the task is invalid")],
      ["Failed", kstatus("Stalled", "Failed", "the agent exited with code 1")],
      ["TimedOut", kstatus("Stalled", "TimedOut", "ran longer than spec.timeout")],
      ["Starting", kstatus("Reconciling", "RetryBackoff", "attempt 1 failed")],
    ];
    for (const [phase, conditions] of cases) {
      expect(taskStatusEvent(running, { phase }, conditions)?.type).toBe("Warning");
    }
  });

  it("names the phase when no Ready reason is given, and Pending when there is neither", () => {
    expect(taskStatusEvent(undefined, { phase: "Queued" }, [])).toEqual({
      type: "Normal",
      reason: "Queued",
      note: "",
    });
    expect(taskStatusEvent({ phase: "Running" }, {}, [])?.reason).toBe("Pending");
  });

  it("tells of the first status of a new task", () => {
    const conditions = kstatus("Reconciling", "Starting", "starting attempt 1");
    expect(
      taskStatusEvent(undefined, { phase: "Starting", message: "starting attempt 1" }, conditions),
    ).toEqual({
      type: "Normal",
      reason: "Starting",
      note: "starting attempt 1",
    });
  });
});

describe("the stalls of a task nobody can run as it is", () => {
  it("names the missing Org and the fix", () => {
    expect(orgNotFound(makeTask({ org: "nope" }))).toEqual({
      reason: "OrgNotFound",
      message: 'Org "nope" does not exist: create it, or fix spec.org',
    });
  });

  it("names the namespace a task must live in", () => {
    const task = makeTask();
    task.metadata.namespace = "default";
    expect(namespaceMismatch(task, makeOrg())).toEqual({
      reason: "NamespaceMismatch",
      message: 'tasks of Org "acme" live in namespace "org-acme", not "default": create the task there',
    });
    expect(namespaceMismatch(makeTask(), makeOrg())).toBeUndefined();
  });

  it("refuses a task's own image unless its Org allows image overrides", () => {
    const own = makeTask({ agent: { image: "victim/private:1" } });
    expect(imageOverrideRefused(own, makeOrg())).toEqual({
      reason: "ImageOverrideRefused",
      message:
        'spec.agent.image: Org "acme" does not let its tasks choose their image (its spec.agent.allowImageOverride is off): remove spec.agent.image',
    });
    expect(imageOverrideRefused(own, makeOrg({ agent: { allowImageOverride: true } }))).toBeUndefined();
    expect(imageOverrideRefused(makeTask(), makeOrg())).toBeUndefined();
  });

  it("refuses an agent whose merged env execve cannot take, naming the sizes and what to shrink", () => {
    // 32 variables of 32768 bytes in the Org and in the task: 32 x (name, =, value, NUL, pointer) each.
    const env = (prefix: string) =>
      Array.from({ length: 32 }, (_, i) => ({ name: `${prefix}_${i}`, value: "x".repeat(32_768) }));
    const org = makeOrg({ agent: { image: "agents/acme:1", env: env("ORG") } });
    const stall = environmentTooLarge(makeTask({ agent: { env: env("TASK") } }), org);
    expect(stall?.reason).toBe("EnvironmentTooLarge");
    expect(stall?.message).toMatch(
      /^spec\.agent\.env: the agent's environment and argv would take \d+ bytes, more than the 1966080 that execve leaves them \(ARG_MAX 2097152, less room for what the image adds\), so the agent could never start: the task's spec\.agent\.env takes 1049110, the Org's spec\.agent\.env 1049078, the prompt, command and agentyard's variables \d+, argv 0; shrink the task's or the Org's env$/,
    );
    expect(environmentTooLarge(makeTask(), org)).toBeUndefined();
    expect(environmentTooLarge(makeTask({ agent: { env: env("TASK") } }), makeOrg())).toBeUndefined();
  });

  it("refuses an env entry that expands past one entry's limit, naming who set it", () => {
    const copies = [{ name: "COPIES", value: "$(AGENTYARD_PROMPT)".repeat(20) }];
    const task = makeTask({ prompt: "p".repeat(10_000), agent: { env: copies } });
    expect(environmentTooLarge(task, makeOrg())).toEqual({
      reason: "EnvironmentTooLarge",
      message:
        "the task's spec.agent.env: COPIES would be 200008 bytes with its NUL once its $(NAME) references are expanded, more than the 131072 Linux takes in one environment entry: shrink COPIES or the variables it refers to",
    });
  });

  it("says which Org was refused, and why", () => {
    expect(orgRefused(makeOrg(), "namespace payroll already exists")).toEqual({
      reason: "OrgRefused",
      message: 'Org "acme" is Stalled: namespace payroll already exists',
    });
  });

  it("names each invalid field", () => {
    const task = makeTask();
    task.spec.prompt = "";
    expect(invalidSpec(task)).toMatchObject({
      reason: "InvalidSpec",
      message: expect.stringMatching(/^the task is invalid: spec\.prompt: /),
    });
    expect(invalidSpec(makeTask())).toBeUndefined();
  });

  it("keeps the task's status, Pending when it had none, and says Stalled", () => {
    const report = stalled(makeTask(), { reason: "OrgNotFound", message: "no Org" });
    expect(report).toEqual({
      status: { phase: "Pending", message: "no Org" },
      conditions: kstatus("Stalled", "OrgNotFound", "no Org"),
    });
    const running = makeTask();
    running.status = { phase: "Running", attempts: 1, cluster: "local" };
    expect(stalled(running, { reason: "InvalidSpec", message: "bad" }).status).toEqual({
      phase: "Running",
      attempts: 1,
      cluster: "local",
      message: "bad",
    });
  });
});

describe("waitingForCluster", () => {
  it("says what the Org reconciler found, and looks again", () => {
    const org = makeOrg();
    org.status = {
      conditions: [
        {
          type: "Ready",
          status: "False",
          reason: "ClusterUnreachable",
          message: "connection refused",
          observedGeneration: 1,
          lastTransitionTime: "2026-11-24T11:00:00Z",
        },
      ],
    };
    expect(waitingForCluster(makeTask(), org)).toEqual({
      status: { phase: "Pending" },
      conditions: kstatus(
        "Reconciling",
        "WaitingForCluster",
        "waiting for the cluster of Org acme: connection refused",
      ),
      requeueAfterMs: 10_000,
    });
  });

  it("says not resolved yet of an Org without a status", () => {
    expect(waitingForCluster(makeTask(), makeOrg()).conditions[0]?.message).toBe(
      "waiting for the cluster of Org acme: not resolved yet",
    );
  });
});

describe("waitingForRuntimeClass", () => {
  const stalledOrg = {
    ...makeOrg({ agent: { runtimeClassName: "gvisor" } }),
    status: {
      conditions: [
        {
          type: "Ready",
          status: "False" as const,
          reason: "RuntimeClassNotFound",
          message: "spec.agent.runtimeClassName: cluster local has no RuntimeClass gvisor",
          observedGeneration: 1,
          lastTransitionTime: "2026-12-02T10:00:00Z",
        },
      ],
    },
  };

  it("holds a task that has not started, saying why", () => {
    expect(waitingForRuntimeClass(makeTask(), stalledOrg)?.conditions[0]).toEqual({
      type: "Ready",
      status: "False",
      reason: "WaitingForRuntimeClass",
      message: "waiting for Org acme: spec.agent.runtimeClassName: cluster local has no RuntimeClass gvisor",
    });
  });

  it("leaves a started task, and any task of an Org without the problem, alone", () => {
    const started = { ...makeTask(), status: { phase: "Running" as const, attempts: 1 } };
    expect(waitingForRuntimeClass(started, stalledOrg)).toBeUndefined();
    expect(waitingForRuntimeClass(makeTask(), makeOrg())).toBeUndefined();
  });
});

describe("decidedReport", () => {
  const decision = (children: TaskDecision["children"], requeueAfterMs?: number): TaskDecision => ({
    status: { phase: "Running", attempts: 1, message: "running" },
    conditions: kstatus("Ready", "Running", "running"),
    children,
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  });
  const local = { cluster: "local", namespace: "org-acme" };

  it("names the cluster, the Deployment, the Service and the editor's in-cluster address", () => {
    expect(decidedReport(makeTask(), makeOrg(), decision("running", 5_000), local)).toEqual({
      status: {
        phase: "Running",
        attempts: 1,
        message: "running",
        cluster: "local",
        namespace: "org-acme",
        deployment: "fix-bug",
        service: "fix-bug",
        editorURL: "http://fix-bug.org-acme.svc.cluster.local:8443/",
      },
      conditions: kstatus("Ready", "Running", "running"),
      requeueAfterMs: 5_000,
    });
  });

  it("keeps the children's names while they are scaled to zero", () => {
    const { status } = decidedReport(makeTask(), makeOrg(), decision("stopped"), local);
    expect(status).toMatchObject({ deployment: "fix-bug", service: "fix-bug" });
  });

  it("names no children when there are none", () => {
    const { status } = decidedReport(makeTask(), makeOrg(), decision("none"), local);
    expect(status).toEqual({
      phase: "Running",
      attempts: 1,
      message: "running",
      cluster: "local",
      namespace: "org-acme",
    });
  });

  it("names no Service nor editor of an Org without an editor", () => {
    const org = makeOrg({ editor: { enabled: false } });
    const { status } = decidedReport(makeTask(), org, decision("running"), local);
    expect(status.deployment).toBe("fix-bug");
    expect(status).not.toHaveProperty("service");
    expect(status).not.toHaveProperty("editorURL");
  });

  it("in mesh mode sidecar, names the editor by its tailnet name once its node is up, and says so", () => {
    const org = makeOrg({
      mesh: {
        provider: "tailscale",
        mode: "sidecar",
        authKeySecretRef: { name: "tailnet-key" },
        tailnetDomain: "tailnet.example.com",
      },
    });
    const local127 = { [LOCAL_PORTS_ANNOTATION]: JSON.stringify({ editor: "127.0.0.1:40123" }) };
    const pod = (ready: boolean): V1Pod => ({
      metadata: { name: "fix-bug-x", namespace: "org-acme", annotations: local127 },
      status: {
        containerStatuses: [
          { name: "tailscale", ready, restartCount: 0, image: "", imageID: "", state: { running: {} } },
        ],
      },
    });
    const joining = decidedReport(makeTask(), org, decision("running"), { ...local, pod: pod(false) });
    expect(joining.status).not.toHaveProperty("editorURL");
    expect(joining.conditions.at(-1)).toMatchObject({
      type: "TailnetReady",
      status: "False",
      reason: "Joining",
    });
    const up = decidedReport(makeTask(), org, decision("running"), { ...local, pod: pod(true) });
    expect(up.status.editorURL).toMatch(/^http:\/\/acme-fix-bug-[0-9a-f]+\.tailnet\.example\.com:8443\/$/);
    expect(up.conditions.at(-1)).toMatchObject({ type: "TailnetReady", status: "True", reason: "Joined" });
    const gone = decidedReport(makeTask({}), org, decision("running"), local);
    expect(gone.conditions.at(-1)).toMatchObject({ type: "TailnetReady", status: "False", reason: "NoPod" });
    const joined = makeTask();
    joined.status = {
      conditions: [
        {
          type: "TailnetReady",
          status: "True",
          reason: "Joined",
          message: "",
          lastTransitionTime: "2026-12-01T00:00:00Z",
        },
      ],
    };
    const left = decidedReport(joined, makeOrg({}), decision("running"), local);
    expect(left.conditions.at(-1)).toMatchObject({
      type: "TailnetReady",
      status: "False",
      reason: "NoSidecar",
    });
    expect(
      decidedReport(makeTask(), makeOrg({}), decision("running"), local).conditions.map((c) => c.type),
    ).not.toContain("TailnetReady");
  });

  it("takes the editor's address from the published Service, then from the pod run on the host", () => {
    const org = makeOrg({ mesh: { provider: "tailscale" } });
    const service: V1Service = {
      status: { loadBalancer: { ingress: [{ hostname: "acme-fix-bug.tail1.ts.net" }] } },
    };
    expect(decidedReport(makeTask(), org, decision("running"), { ...local, service }).status.editorURL).toBe(
      "http://acme-fix-bug.tail1.ts.net:8443/",
    );
    const pod: V1Pod = {
      metadata: { annotations: { [LOCAL_PORTS_ANNOTATION]: JSON.stringify({ editor: "127.0.0.1:40123" }) } },
    };
    expect(
      decidedReport(makeTask(), makeOrg(), decision("running"), { ...local, pod }).status.editorURL,
    ).toBe("http://127.0.0.1:40123/");
  });

  it("says when to look again only when the decision does", () => {
    expect(decidedReport(makeTask(), makeOrg(), decision("running"), local).requeueAfterMs).toBeUndefined();
  });
});
