import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countWrites } from "../devcluster/audit.ts";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import type { AgentTask } from "../schema/index.ts";
import {
  applyManifest,
  clusterWithCrds,
  condition,
  getJson,
  getOrg,
  getTask,
  phaseIs,
  startTestOperator,
  waitForOrgCounts,
  waitForTask,
  writeAgentState,
} from "./support/operator.ts";

let cluster: DevCluster;
let operator: RunningOperator;
const NS = "org-life";

beforeAll(async () => {
  cluster = await clusterWithCrds("life");
  operator = await startTestOperator(cluster);
  await applyManifest(
    cluster,
    orgManifest("life", {
      repo: { url: "https://git.example/life/app.git" },
      // Spelled as the API server does not answer them: a resync must still find nothing to write.
      agent: {
        image: "agents/test:1",
        resources: {
          requests: { cpu: "0.5", memory: 1073741824 },
          limits: { cpu: "1000m", memory: "4096Mi" },
        },
        env: [{ name: "NO_VALUE" }],
      },
    }),
  );
  await waitFor("Org life to be Ready", async () => {
    const org = await getOrg(cluster, "life");
    return org?.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True");
  });
});

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

const lastPR = {
  task: "to-the-end",
  org: "life",
  repo: "https://git.example/life/app.git",
  baseBranch: "main",
  branch: "agentyard/to-the-end",
  commit: "0123456789abcdef0123456789abcdef01234567",
  title: "Add a greeting",
  summary: "Added hello.txt",
  diffstat: { files: 1, insertions: 1, deletions: 0 },
  exitCode: 0,
  createdAt: "2026-11-24T12:00:00Z",
};

describe("an Org", () => {
  it("gets its namespace labelled for PodSecurity restricted, and a NetworkPolicy", async () => {
    const ns = await getJson<{ metadata: { labels: Record<string, string> } }>(cluster, ["namespace", NS]);
    expect(ns?.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(await getJson(cluster, ["networkpolicy", "agentyard-agents", "-n", NS])).toBeDefined();
    const org = await getOrg(cluster, "life");
    expect(org?.status).toMatchObject({
      namespace: NS,
      cluster: "local",
      clusterReachable: true,
      observedGeneration: 1,
    });
  });
});

/** A task of Org life that starts, whose agent then reports attempt 1 finished with exit code 0. */
async function startAndFinish(name: string, spec: Record<string, unknown> = {}): Promise<void> {
  await applyManifest(cluster, taskManifest(name, NS, { org: "life", prompt: "x", ...spec }));
  await waitForTask(cluster, NS, name, "to be Running", phaseIs("Running"));
  await writeAgentState(cluster, NS, name, {
    attempt: "1",
    finishedAt: new Date().toISOString(),
    exitCode: "0",
  });
}

describe("a task", () => {
  it("goes Pending → Starting → Running → Succeeded with its artifact", async () => {
    await applyManifest(cluster, taskManifest("to-the-end", NS, { org: "life", prompt: "Add a greeting" }));
    const running = await waitForTask(cluster, NS, "to-the-end", "to be Running", phaseIs("Running"));
    expect(running.status).toMatchObject({
      attempts: 1,
      cluster: "local",
      namespace: NS,
      deployment: "to-the-end",
      service: "to-the-end",
      editorURL: "http://to-the-end.org-life.svc.cluster.local:8443/",
    });
    expect(running.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");

    const deployment = await getJson<{
      spec: { replicas: number };
      metadata: { ownerReferences: { uid: string }[] };
    }>(cluster, ["deployment", "to-the-end", "-n", NS]);
    expect(deployment?.spec.replicas).toBe(1);
    expect(deployment?.metadata.ownerReferences[0]?.uid).toBe(running.metadata.uid);
    const svc = await getJson<{ spec: { ports: { name: string; port: number }[] } }>(cluster, [
      "service",
      "to-the-end",
      "-n",
      NS,
    ]);
    expect(svc?.spec.ports).toEqual([expect.objectContaining({ name: "editor", port: 8443 })]);

    const written = await writeAgentState(cluster, NS, "to-the-end", {
      attempt: "1",
      startedAt: "2026-11-24T12:00:00Z",
      finishedAt: "2026-11-24T12:01:00Z",
      exitCode: "0",
      lastPR: JSON.stringify(lastPR),
    });
    expect(written.code, written.stderr).toBe(0);
    const done = await waitForTask(cluster, NS, "to-the-end", "to succeed", phaseIs("Succeeded"));
    expect(done.status?.artifacts?.lastPR).toMatchObject({
      branch: "agentyard/to-the-end",
      base: "main",
      title: "Add a greeting",
    });
    expect(done.status?.message).toBe("finished: pushed agentyard/to-the-end at 0123456789ab");

    const events = await cluster.kubectl([
      "get",
      "events.events.k8s.io",
      "-n",
      NS,
      "--field-selector",
      "regarding.name=to-the-end",
      "-o",
      'jsonpath={range .items[*]}{.reason}{"\\n"}{end}',
    ]);
    expect(events.stdout.split("\n")).toEqual(expect.arrayContaining(["Starting", "Running", "Succeeded"]));
  });

  it("lets an agent write only its own state ConfigMap", async () => {
    await applyManifest(cluster, taskManifest("neighbour", NS, { org: "life", prompt: "x" }));
    await waitForTask(cluster, NS, "neighbour", "to be Running", phaseIs("Running"));
    const token = (await cluster.kubectl(["create", "token", "neighbour-agent", "-n", NS])).stdout.trim();
    const { asToken } = await import("./support/operator.ts");
    const other = await asToken(cluster, token, [
      "patch",
      "configmap",
      "to-the-end-state",
      "-n",
      NS,
      "--type=merge",
      "-p",
      '{"data":{"exitCode":"1"}}',
    ]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('User "system:serviceaccount:org-life:neighbour-agent" cannot');
  });

  it("ends Succeeded when the agent reports an artifact longer than the status allows", async () => {
    await applyManifest(cluster, taskManifest("oversized", NS, { org: "life", prompt: "x" }));
    await waitForTask(cluster, NS, "oversized", "to be Running", phaseIs("Running"));
    const branch = `agentyard/${"b".repeat(4990)}`;
    // Astral characters: the status counts code points, so 1500 of them are cut to 1024, not 512.
    const title = "😀".repeat(1500);
    const url = `https://git.example.com/acme/app/pull/${"9".repeat(3000)}`;
    const written = await writeAgentState(cluster, NS, "oversized", {
      attempt: "1",
      startedAt: "2026-11-24T12:00:00Z",
      finishedAt: "2026-11-24T12:01:00Z",
      exitCode: "0",
      lastPR: JSON.stringify({
        ...lastPR,
        task: "oversized",
        branch,
        title,
        url,
        summary: "s".repeat(40_000),
      }),
    });
    expect(written.code, written.stderr).toBe(0);
    const done = await waitForTask(cluster, NS, "oversized", "to succeed", phaseIs("Succeeded"));
    const cutBranch = `${branch.slice(0, 254)}…`;
    expect(done.status?.artifacts?.lastPR).toMatchObject({
      branch: cutBranch,
      title: `${"😀".repeat(1023)}…`,
      summary: `${"s".repeat(16_383)}…`,
      url: `${url.slice(0, 2047)}…`,
    });
    expect(done.status?.artifacts?.lastPRError).toBe(
      "last_pr.json is longer than the status allows; cut, marked with …: " +
        "branch (5000 characters, at most 255), title (1500 characters, at most 1024), " +
        "summary (40000 characters, at most 16384), url (3038 characters, at most 2048)",
    );
    expect(done.status?.message).toBe(
      `finished: pushed ${cutBranch} at 0123456789ab; its report was cut to fit the status (see status.artifacts.lastPRError)`,
    );
  });

  it("fails with the exit code and message the agent reports", async () => {
    await applyManifest(cluster, taskManifest("breaks", NS, { org: "life", prompt: "x" }));
    await waitForTask(cluster, NS, "breaks", "to be Running", phaseIs("Running"));
    await writeAgentState(cluster, NS, "breaks", {
      attempt: "1",
      startedAt: "2026-11-24T12:00:00Z",
      finishedAt: "2026-11-24T12:00:01Z",
      exitCode: "2",
      message: "tests failed",
    });
    const failed = await waitForTask(cluster, NS, "breaks", "to fail", phaseIs("Failed"));
    expect(failed.status?.message).toBe("the agent exited with code 2: tests failed");
    expect(failed.status?.conditions?.find((c) => c.type === "Stalled")?.status).toBe("True");
  });

  it("retries a failed attempt with a new pod", async () => {
    await applyManifest(cluster, taskManifest("flaky", NS, { org: "life", prompt: "x", retries: 1 }));
    await waitForTask(cluster, NS, "flaky", "to be Running", phaseIs("Running"));
    await writeAgentState(cluster, NS, "flaky", {
      attempt: "1",
      finishedAt: new Date(Date.now() - 60_000).toISOString(),
      exitCode: "1",
    });
    const second = await waitForTask(
      cluster,
      NS,
      "flaky",
      "to start attempt 2",
      (t) => t.status?.attempts === 2,
    );
    expect(second.status?.attempts).toBe(2);
    const retried = await cluster.kubectl([
      "get",
      "events.events.k8s.io",
      "-n",
      NS,
      "--field-selector",
      "regarding.name=flaky,reason=Retrying",
      "-o",
      "jsonpath={.items[*].note}",
    ]);
    expect(retried.stdout).toBe("starting attempt 2 after: the agent exited with code 1");
    const pods = await waitFor("a pod of attempt 2", async () => {
      const list = await getJson<{ items: { metadata: { annotations: Record<string, string> } }[] }>(
        cluster,
        ["pods", "-n", NS, "-l", "agentyard.dev/task=flaky"],
      );
      return list?.items.find((p) => p.metadata.annotations["agentyard.dev/attempt"] === "2");
    });
    expect(pods).toBeDefined();
    await writeAgentState(cluster, NS, "flaky", {
      attempt: "2",
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      exitCode: "0",
    });
    const done = await waitForTask(cluster, NS, "flaky", "to succeed on attempt 2", phaseIs("Succeeded"));
    expect(done.status?.attempts).toBe(2);
  });

  it("times out and scales its agent to zero", async () => {
    await applyManifest(cluster, taskManifest("slow", NS, { org: "life", prompt: "x", timeout: "3s" }));
    const timedOut = await waitForTask(cluster, NS, "slow", "to time out", phaseIs("TimedOut"));
    expect(timedOut.status?.message).toBe("attempt 1 ran longer than spec.timeout (3s)");
    await waitFor("the Deployment to scale to 0", async () => {
      const d = await getJson<{ spec: { replicas: number } }>(cluster, ["deployment", "slow", "-n", NS]);
      return d?.spec.replicas === 0 ? true : undefined;
    });
  });

  it("is cancelled by spec.cancel", async () => {
    await applyManifest(cluster, taskManifest("stop-me", NS, { org: "life", prompt: "x" }));
    await waitForTask(cluster, NS, "stop-me", "to be Running", phaseIs("Running"));
    await cluster.kubectl([
      "patch",
      "agenttask",
      "stop-me",
      "-n",
      NS,
      "--type=merge",
      "-p",
      '{"spec":{"cancel":true}}',
    ]);
    await waitForTask(cluster, NS, "stop-me", "to be Cancelled", phaseIs("Cancelled"));
    await waitFor("the Deployment to scale to 0", async () => {
      const d = await getJson<{ spec: { replicas: number } }>(cluster, ["deployment", "stop-me", "-n", NS]);
      return d?.spec.replicas === 0 ? true : undefined;
    });
  });

  it("is deleted with its children ttlSecondsAfterFinished after it ends", async () => {
    await startAndFinish("short-lived", { ttlSecondsAfterFinished: 1 });
    await waitFor(
      "the task to be deleted",
      async () => ((await getTask(cluster, NS, "short-lived")) ? undefined : true),
      { timeoutMs: 30_000 },
    );
    await waitFor("its Deployment to be garbage-collected", async () =>
      (await getJson(cluster, ["deployment", "short-lived", "-n", NS])) ? undefined : true,
    );
  });

  it("waits out a 30-day ttlSecondsAfterFinished without reconciling in a loop", async () => {
    const reconciles = async () => {
      const text = await (await fetch(`${operator.metricsUrl}/metrics`)).text();
      return [
        ...text.matchAll(
          /^agentyard_reconcile_duration_seconds_count\{controller="agenttask"[^}]*\} (\d+)/gm,
        ),
      ]
        .map((m) => Number(m[1]))
        .reduce((a, b) => a + b, 0);
    };
    await startAndFinish("kept-long", { ttlSecondsAfterFinished: 2_592_000 });
    await waitForTask(cluster, NS, "kept-long", "to be Succeeded", phaseIs("Succeeded"));
    // The window: another task's whole run, seconds in which a task whose timer fired at once would
    // reconcile thousands of times.
    const before = await reconciles();
    await startAndFinish("meanwhile");
    await waitForTask(cluster, NS, "meanwhile", "to be Succeeded", phaseIs("Succeeded"));
    // About ten here: the other task's own reconciles and the Org's status changes that wake both.
    expect((await reconciles()) - before).toBeLessThan(50);
    expect(await getTask(cluster, NS, "kept-long")).toBeDefined();
  });

  it("takes its children with it when deleted", async () => {
    await applyManifest(cluster, taskManifest("doomed", NS, { org: "life", prompt: "x" }));
    await waitForTask(cluster, NS, "doomed", "to be Running", phaseIs("Running"));
    expect((await cluster.kubectl(["delete", "agenttask", "doomed", "-n", NS, "--wait=true"])).code).toBe(0);
    await waitFor("the children to be garbage-collected", async () => {
      const left = await cluster.kubectl([
        "get",
        "deployment,service,configmap,secret,serviceaccount,role,rolebinding",
        "-n",
        NS,
        "-l",
        "agentyard.dev/task=doomed",
        "-o",
        "name",
      ]);
      return left.stdout.trim() === "" ? true : undefined;
    });
  });

  it("shows what is going on in kubectl get agenttasks", async () => {
    const r = await cluster.kubectl(["get", "agenttasks", "-n", NS]);
    const [header, ...rows] = r.stdout.trim().split("\n");
    expect(header).toMatch(/^NAME\s+ORG\s+PHASE\s+READY\s+EDITOR\s+PR\s+AGE/);
    expect(rows.find((l) => l.startsWith("to-the-end "))).toMatch(
      /life\s+Succeeded\s+True\s+http:\/\/to-the-end/,
    );
  });

  it("is Ready for kubectl wait", async () => {
    await applyManifest(cluster, taskManifest("waitable", NS, { org: "life", prompt: "x" }));
    const r = await cluster.kubectl([
      "wait",
      "--for=condition=Ready",
      "agenttask/waitable",
      "-n",
      NS,
      "--timeout=30s",
    ]);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe("a task whose agent cannot be placed", () => {
  it("waits in Starting and says why the scheduler refuses it", async () => {
    await applyManifest(
      cluster,
      taskManifest("too-big", NS, {
        org: "life",
        prompt: "x",
        agent: { resources: { requests: { cpu: "500" } } },
      }),
    );
    const t = await waitForTask(cluster, NS, "too-big", "to report its scheduling", (x) =>
      (x.status?.message ?? "").includes("Unschedulable"),
    );
    expect(t.status?.phase).toBe("Starting");
    expect(t.status?.message).toContain("Insufficient cpu");
  });
});

describe("a task the operator must refuse", () => {
  it("names a missing Org: Stalled, nothing created", async () => {
    await applyManifest(cluster, taskManifest("orphan", NS, { org: "nobody", prompt: "x" }));
    const t = await waitForTask(
      cluster,
      NS,
      "orphan",
      "to stall",
      (x) => x.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True") ?? false,
    );
    expect(t.status?.conditions?.find((c) => c.type === "Stalled")).toMatchObject({
      reason: "OrgNotFound",
      message: 'Org "nobody" does not exist: create it, or fix spec.org',
    });
    expect((await cluster.kubectl(["get", "deployment", "orphan", "-n", NS])).code).not.toBe(0);
  });

  it("lives outside its Org's namespace: Stalled, nothing created", async () => {
    await cluster.kubectl(["create", "namespace", "elsewhere"]);
    await applyManifest(cluster, taskManifest("misplaced", "elsewhere", { org: "life", prompt: "x" }));
    const t = await waitForTask(
      cluster,
      "elsewhere",
      "misplaced",
      "to stall",
      (x) => x.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True") ?? false,
    );
    expect(t.status?.conditions?.find((c) => c.type === "Stalled")?.message).toBe(
      'tasks of Org "life" live in namespace "org-life", not "elsewhere": create the task there',
    );
    const all = await cluster.kubectl([
      "get",
      "deployments",
      "-A",
      "-l",
      "agentyard.dev/task=misplaced",
      "-o",
      "name",
    ]);
    expect(all.stdout.trim()).toBe("");
  });
});

describe("a resync of an unchanged world", () => {
  it("writes nothing", async () => {
    const writesByAdmin = () => countWrites(cluster.auditLog, "admin");
    const reconciles = async () => {
      const text = await (await fetch(`${operator.metricsUrl}/metrics`)).text();
      let total = 0;
      for (const m of text.matchAll(
        /^agentyard_reconcile_duration_seconds_count\{[^}]*controller="agenttask"[^}]*\} (\d+)/gm,
      )) {
        total += Number(m[1]);
      }
      return total;
    };
    const tasks = (await getJson<{ items: unknown[] }>(cluster, ["agenttasks", "-A"]))?.items.length ?? 0;
    // The Org's quantities and its env var without a value are live, in the server's spelling.
    const deployments = await getJson<{
      items: { spec: { template: { spec: { containers: unknown[] } } } }[];
    }>(cluster, ["deployments", "-n", NS]);
    expect(deployments?.items.flatMap((d) => d.spec.template.spec.containers)).toContainEqual(
      expect.objectContaining({
        resources: { requests: { cpu: "500m", memory: "1073741824" }, limits: { cpu: "1", memory: "4Gi" } },
        env: expect.arrayContaining([{ name: "NO_VALUE" }]),
      }),
    );
    await waitForOrgCounts(cluster);
    // A new operator sees the world as it is; it must find nothing to do, over several resyncs.
    await operator.stop();
    const before = await writesByAdmin();
    operator = await startTestOperator(cluster, { resyncMs: 300 });
    const start = await reconciles();
    await waitFor(
      "three resyncs of every task",
      async () => ((await reconciles()) - start >= 3 * tasks ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
    expect((await writesByAdmin()) - before).toBe(0);
  });
});

/** The agent objects a task has left in a namespace of a cluster, by the labels the operator puts on them. */
async function agentObjects(c: DevCluster, namespace: string, selector: string): Promise<string> {
  const r = await c.kubectl([
    "get",
    "deployment,service,configmap,secret,serviceaccount,role,rolebinding",
    "-n",
    namespace,
    "-l",
    selector,
    "-o",
    "name",
  ]);
  return r.stdout.trim();
}

const agentsRemovedCondition = (t: AgentTask | undefined) => condition(t, "AgentsRemoved");

describe("a deleted Org", () => {
  it("ends its tasks, removes their agents and its NetworkPolicy, keeps the tasks as records, then goes", async () => {
    const ns = "org-ending";
    await applyManifest(cluster, orgManifest("ending"));
    await waitFor("Org ending to be Ready", async () => {
      const org = await getOrg(cluster, "ending");
      return org?.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True");
    });
    await applyManifest(cluster, taskManifest("busy", ns, { org: "ending", prompt: "x" }));
    await applyManifest(cluster, taskManifest("done", ns, { org: "ending", prompt: "x" }));
    await waitForTask(cluster, ns, "busy", "to be Running", phaseIs("Running"));
    await waitForTask(cluster, ns, "done", "to be Running", phaseIs("Running"));
    await writeAgentState(cluster, ns, "done", {
      attempt: "1",
      finishedAt: new Date().toISOString(),
      exitCode: "0",
    });
    await waitForTask(cluster, ns, "done", "to succeed", phaseIs("Succeeded"));
    expect(await agentObjects(cluster, ns, "agentyard.dev/task=done")).not.toBe("");

    expect((await cluster.kubectl(["delete", "org", "ending", "--wait=false"])).code).toBe(0);
    await waitFor("Org ending to go", async () => ((await getOrg(cluster, "ending")) ? undefined : true), {
      timeoutMs: 60_000,
    });

    const busy = await getTask(cluster, ns, "busy");
    expect(busy?.status?.phase).toBe("Cancelled");
    expect(busy?.status?.conditions?.find((c) => c.type === "Ready")?.reason).toBe("OrgDeleted");
    expect(busy?.status?.message).toBe('cancelled: Org "ending" is being deleted');
    expect(agentsRemovedCondition(busy)).toMatchObject({ status: "True", reason: "OrgDeleted" });
    expect(busy?.status?.deployment).toBeUndefined();
    const done = await getTask(cluster, ns, "done");
    expect(done?.status?.phase).toBe("Succeeded");
    expect(agentsRemovedCondition(done)).toMatchObject({ status: "True" });
    expect(await agentObjects(cluster, ns, "agentyard.dev/org=ending")).toBe("");
    expect(await getJson(cluster, ["networkpolicy", "agentyard-agents", "-n", ns])).toBeUndefined();
    expect(await getJson(cluster, ["namespace", ns])).toBeDefined();
  });
});

describe("a task whose Org is missing", () => {
  it("has its agent stopped, is still cancelled and timed out, and runs again when its Org is back", async () => {
    const ns = "org-vanishing";
    await applyManifest(cluster, orgManifest("vanishing"));
    await waitFor("Org vanishing to be Ready", async () => {
      const org = await getOrg(cluster, "vanishing");
      return org?.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True");
    });
    await applyManifest(cluster, taskManifest("left-over", ns, { org: "vanishing", prompt: "x" }));
    await applyManifest(
      cluster,
      taskManifest("left-running", ns, { org: "vanishing", prompt: "x", timeout: "40s" }),
    );
    await applyManifest(cluster, taskManifest("left-waiting", ns, { org: "vanishing", prompt: "x" }));
    for (const name of ["left-over", "left-running", "left-waiting"]) {
      await waitForTask(cluster, ns, name, "to be Running", phaseIs("Running"));
    }

    // The Org goes without its cleanup: as when a person removes its finalizer while the operator is down.
    await operator.stop();
    await cluster.kubectl([
      "patch",
      "org",
      "vanishing",
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    expect((await cluster.kubectl(["delete", "org", "vanishing", "--wait=true"])).code).toBe(0);
    operator = await startTestOperator(cluster);

    await waitFor("the agents to be removed", async () =>
      (await agentObjects(cluster, ns, "agentyard.dev/org=vanishing")) === "" ? true : undefined,
    );
    const stalledTask = await waitForTask(
      cluster,
      ns,
      "left-over",
      "to say its agents were removed",
      (t) => agentsRemovedCondition(t) !== undefined,
    );
    expect(agentsRemovedCondition(stalledTask)).toMatchObject({ status: "True", reason: "OrgNotFound" });
    expect(stalledTask.status?.conditions?.find((c) => c.type === "Stalled")).toMatchObject({
      status: "True",
      reason: "OrgNotFound",
    });

    await cluster.kubectl([
      "patch",
      "agenttask",
      "left-over",
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"spec":{"cancel":true}}',
    ]);
    await waitForTask(cluster, ns, "left-over", "to be Cancelled", phaseIs("Cancelled"));
    const timedOut = await waitForTask(
      cluster,
      ns,
      "left-running",
      "to time out",
      phaseIs("TimedOut"),
      90_000,
    );
    expect(timedOut.status?.message).toBe("attempt 1 ran longer than spec.timeout (40s)");

    // The Org back: the task that had not ended runs again; the ended ones get no agents back.
    await applyManifest(cluster, orgManifest("vanishing"));
    const back = await waitForTask(
      cluster,
      ns,
      "left-waiting",
      "to run again",
      (t) => agentsRemovedCondition(t)?.status === "False",
    );
    expect(agentsRemovedCondition(back)).toMatchObject({ reason: "Placed" });
    await waitFor("its Deployment to be back", async () =>
      (await getJson(cluster, ["deployment", "left-waiting", "-n", ns])) ? true : undefined,
    );
    expect(await agentObjects(cluster, ns, "agentyard.dev/task=left-over")).toBe("");
    expect(await agentObjects(cluster, ns, "agentyard.dev/task=left-running")).toBe("");
  });
});
