import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { clientFromKubeconfigFile, sleep } from "@agentyard/kube-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditEvent, isWrite, readAuditLog } from "../devcluster/audit.ts";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import { operatorUserAgent, type RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import {
  applyManifest,
  clusterWithCrds,
  getJson,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";

let cluster: DevCluster;
const children: ChildProcess[] = [];

function operatorProcess(identity: string, extraArgs: string[] = []): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      join(projectRoot, "cli", "agentyard.ts"),
      "operator",
      `--kubeconfig=${cluster.kubeconfigPath()}`,
      `--identity=${identity}`,
      "--lease-namespace=agentyard-system",
      "--lease-duration=4s",
      "--metrics-address=127.0.0.1:0",
      "--log-level=warn",
      ...extraArgs,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  children.push(child);
  return child;
}

async function leaseHolder(name = "agentyard-operator"): Promise<string | undefined> {
  const lease = await getJson<{ spec: { holderIdentity?: string } }>(cluster, [
    "lease",
    name,
    "-n",
    "agentyard-system",
  ]);
  return lease?.spec.holderIdentity || undefined;
}

beforeAll(async () => {
  cluster = await clusterWithCrds("ha");
  await cluster.kubectl(["create", "namespace", "agentyard-system"]);
  await applyManifest(cluster, orgManifest("ha"));
});

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await cluster?.stop();
});

describe("two operator processes", () => {
  it("let one lead; when the leader dies the standby takes over, with no duplicate work", async () => {
    const a = operatorProcess("replica-a");
    const b = operatorProcess("replica-b");
    const first = await waitFor("a leader", leaseHolder, { timeoutMs: 30_000 });
    expect(["replica-a", "replica-b"]).toContain(first);
    await applyManifest(cluster, taskManifest("before-failover", "org-ha", { org: "ha", prompt: "x" }));
    await waitForTask(cluster, "org-ha", "before-failover", "to be Running", phaseIs("Running"));

    (first === "replica-a" ? a : b).kill("SIGKILL");
    const second = await waitFor(
      "the standby to take the lease",
      async () => {
        const holder = await leaseHolder();
        return holder && holder !== first ? holder : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(second).not.toBe(first);
    await applyManifest(cluster, taskManifest("after-failover", "org-ha", { org: "ha", prompt: "x" }));
    await waitForTask(cluster, "org-ha", "after-failover", "to be Running", phaseIs("Running"));

    const rs = await getJson<{ items: unknown[] }>(cluster, [
      "replicasets",
      "-n",
      "org-ha",
      "-l",
      "agentyard.dev/task=before-failover",
    ]);
    expect(rs?.items.length).toBe(1);
    const t = await waitForTask(
      cluster,
      "org-ha",
      "before-failover",
      "to keep attempt 1",
      (x) => x.status?.attempts === 1,
    );
    expect(t.status?.phase).toBe("Running");
  });

  it("releases the lease on SIGTERM so that the standby leads at once", async () => {
    const holder = (await leaseHolder()) as string;
    const leader = children.find(
      (c) => c.exitCode === null && c.signalCode === null && c.spawnargs.includes(`--identity=${holder}`),
    );
    const standby = operatorProcess("replica-c");
    void standby;
    leader?.kill("SIGTERM");
    await waitFor("the leader to exit", async () => (leader?.exitCode !== null ? true : undefined), {
      timeoutMs: 15_000,
    });
    expect(leader?.exitCode).toBe(0);
    await waitFor(
      "replica-c to lead",
      async () => ((await leaseHolder()) === "replica-c" ? true : undefined),
      { timeoutMs: 10_000 },
    );
  });
});

/** The writes a replica made, in the order the API server received them. */
async function writesBy(identity: string): Promise<AuditEvent[]> {
  const agent = operatorUserAgent(identity);
  return (await readAuditLog(cluster.auditLog))
    .filter((e) => e.userAgent === agent && isWrite(e))
    .sort((x, y) => (x.requestReceivedTimestamp ?? "").localeCompare(y.requestReceivedTimestamp ?? ""));
}

const isLeaseWrite = (lease: string) => (e: AuditEvent) =>
  e.objectRef?.resource === "leases" && e.objectRef.name === lease;

describe("a leader paused past its lease duration", () => {
  it("writes nothing once the standby leads, and exits when it resumes", async () => {
    for (const c of children) c.kill("SIGKILL");
    // An Org of its own: the load fills its quota, not that of the Org the other tests use.
    await applyManifest(cluster, orgManifest("paused"));
    const lease = "agentyard-operator-paused";
    const args = [`--lease-name=${lease}`];
    const replicas = {
      "paused-a": operatorProcess("paused-a", args),
      "paused-b": operatorProcess("paused-b", args),
    };
    const first = (await waitFor("a leader", () => leaseHolder(lease), {
      timeoutMs: 30_000,
    })) as keyof typeof replicas;
    const second = first === "paused-a" ? "paused-b" : "paused-a";
    const leader = replicas[first];

    // A steady load of task creates, so that the leader has work in flight whenever it is paused.
    const load = clientFromKubeconfigFile(cluster.kubeconfigPath(), "load", { userAgent: "ha-load" });
    let loading = true;
    const created = (async () => {
      for (let i = 0; loading; i++) {
        await load
          .request("POST", "/apis/agentyard.dev/v1alpha1/namespaces/org-paused/agenttasks", {
            body: taskManifest(`load-${i}`, "org-paused", { org: "paused", prompt: "x" }),
          })
          .catch(() => undefined);
        await sleep(300);
      }
    })();
    /** When the API server received the new leader's acquiring write. */
    let since = "";
    try {
      const working = async () =>
        (await writesBy(first)).filter((e) => !isLeaseWrite(lease)(e)).length >= 5 ? true : undefined;
      await waitFor("the leader to write", working, { timeoutMs: 30_000 });

      leader.kill("SIGSTOP");
      await waitFor(
        "the standby to take the lease",
        async () => ((await leaseHolder(lease)) === second ? true : undefined),
        { timeoutMs: 30_000 },
      );
      const acquired = async () =>
        (await writesBy(second)).find((e) => isLeaseWrite(lease)(e) && (e.responseStatus?.code ?? 0) < 300);
      const acquisition = await waitFor("the acquisition in the audit log", acquired);
      since = acquisition.requestReceivedTimestamp as string;
      const newWrites = async () =>
        (await writesBy(second)).filter(
          (e) => !isLeaseWrite(lease)(e) && (e.requestReceivedTimestamp as string) > since,
        );
      await waitFor(
        "the new leader to write",
        async () => ((await newWrites()).length >= 5 ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );

      leader.kill("SIGCONT");
      // Documented in docs/reliability.md: a replica that lost its term exits, and is restarted.
      await waitFor("the old leader to exit", async () => (leader.exitCode !== null ? true : undefined), {
        timeoutMs: 30_000,
      });
      expect(leader.exitCode).toBe(1);
      // Once the new leader has written again, everything the old one sent has been answered.
      const before = (await newWrites()).length;
      await waitFor(
        "another write by the new leader",
        async () => ((await newWrites()).length > before ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
    } finally {
      loading = false;
      await created;
    }

    const late = (await writesBy(first)).filter((e) => (e.requestReceivedTimestamp as string) >= since);
    expect(
      late.map(
        (e) =>
          `${e.requestReceivedTimestamp} ${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name} ${e.responseStatus?.code}`,
      ),
    ).toEqual([]);
    expect((await writesBy(first)).length).toBeGreaterThan(0);
  });
});

describe("an operator whose API server restarts", () => {
  let operator: RunningOperator;
  afterAll(async () => operator?.stop());

  it("recovers by itself and goes on reconciling", async () => {
    for (const c of children) c.kill("SIGKILL");
    operator = await startTestOperator(cluster);
    await applyManifest(cluster, taskManifest("before-restart", "org-ha", { org: "ha", prompt: "x" }));
    await waitForTask(cluster, "org-ha", "before-restart", "to be Running", phaseIs("Running"));
    await cluster.restart("kube-apiserver");
    await applyManifest(cluster, taskManifest("after-restart", "org-ha", { org: "ha", prompt: "x" }));
    await waitForTask(cluster, "org-ha", "after-restart", "to be Running", phaseIs("Running"), 60_000);
    await cluster.kubectl([
      "patch",
      "agenttask",
      "before-restart",
      "-n",
      "org-ha",
      "--type=merge",
      "-p",
      '{"spec":{"cancel":true}}',
    ]);
    await waitForTask(cluster, "org-ha", "before-restart", "to be Cancelled", phaseIs("Cancelled"), 60_000);
  });
});
