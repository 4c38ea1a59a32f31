import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ClusterClient,
  clientFromKubeconfigFile,
  notLeaderMessage,
  sleep,
  statusCode,
} from "@agentyard/kube-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditEvent, isWrite, readAuditLog } from "../devcluster/audit.ts";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { kubeconfigYaml } from "../devcluster/kubeconfig.ts";
import { projectRoot } from "../devcluster/paths.ts";
import { operatorUserAgent } from "../operator/main.ts";
import { leaderElectionRules, leaderFencePolicy, operatorRules } from "../schema/contract/index.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import { type DelayingRelay, delayingRelay } from "./support/delaying-relay.ts";
import { applyManifest, clusterWithCrds, getJson, phaseIs, waitForTask } from "./support/operator.ts";

/**
 * The API server's half of leader election (schema/contract/fencing.ts): each replica writes with a
 * ServiceAccount token bound to its Pod, as in a cluster, and the policy the chart installs refuses
 * the writes of any Pod that does not hold the Lease.
 */

const NS = "agentyard-system";
const SA = "agentyard-operator";
const LEASE = "agentyard-operator";
const ORG = "fence";
const ORG_NS = `org-${ORG}`;

let cluster: DevCluster;
let dir: string;
const children: ChildProcess[] = [];
const relays: DelayingRelay[] = [];

interface Replica {
  name: string;
  process: ChildProcess;
  relay: DelayingRelay;
  /** What the process logged (warnings and errors). */
  log: () => string;
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await cluster.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** A token of the operator's ServiceAccount bound to `pod` (its user.extra names the Pod), or to nothing. */
async function token(pod?: string): Promise<string> {
  const bound = pod ? ["--bound-object-kind=Pod", `--bound-object-name=${pod}`] : [];
  return (await kubectl(["create", "token", SA, "-n", NS, "--duration=1h", ...bound])).trim();
}

async function kubeconfigFor(name: string, server: string, bearer: string): Promise<string> {
  const path = join(dir, `kubeconfig-${name}`);
  const ca = await readFile(cluster.caFile, "utf8");
  await writeFile(path, kubeconfigYaml({ name: "fence", server, ca, user: name, token: bearer }), {
    mode: 0o600,
  });
  return path;
}

/** An operator process named as Pod `name`, with that Pod's token, connected through a relay of its own. */
async function replica(name: string, extraArgs: string[] = []): Promise<Replica> {
  const relay = await delayingRelay(cluster.server);
  relays.push(relay);
  const kubeconfig = await kubeconfigFor(name, relay.url, await token(name));
  const child = spawn(
    process.execPath,
    [
      join(projectRoot, "cli", "agentyard.ts"),
      "operator",
      `--kubeconfig=${kubeconfig}`,
      `--identity=${name}`,
      `--lease-namespace=${NS}`,
      `--lease-name=${LEASE}`,
      "--lease-duration=4s",
      "--metrics-address=127.0.0.1:0",
      "--log-level=warn",
      ...extraArgs,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  return { name, process: child, relay, log: () => log };
}

async function leaseHolder(): Promise<string | undefined> {
  const lease = await getJson<{ spec: { holderIdentity?: string } }>(cluster, ["lease", LEASE, "-n", NS]);
  return lease?.spec.holderIdentity || undefined;
}

/** The writes a replica made, in the order the API server received them. */
async function writesBy(name: string): Promise<AuditEvent[]> {
  const agent = operatorUserAgent(name);
  return (await readAuditLog(cluster.auditLog))
    .filter((e) => e.userAgent === agent && isWrite(e))
    .sort((x, y) => (x.requestReceivedTimestamp ?? "").localeCompare(y.requestReceivedTimestamp ?? ""));
}

const isLeaseWrite = (e: AuditEvent) => e.objectRef?.resource === "leases" && e.objectRef.name === LEASE;
const show = (e: AuditEvent) =>
  `${e.requestReceivedTimestamp} ${e.verb} ${e.objectRef?.resource}/${e.objectRef?.name} ${e.responseStatus?.code}`;

async function stopAll(): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    c.kill("SIGKILL");
    await new Promise((resolve) => c.once("exit", resolve));
  }
}

/** Waits until the leader made the Org's namespace, where tasks live. */
async function orgNamespace(): Promise<void> {
  const made = async () => ((await getJson(cluster, ["namespace", ORG_NS])) ? true : undefined);
  await waitFor("the Org's namespace", made, { timeoutMs: 30_000 });
}

/** Two replicas; resolves once one leads. */
async function twoReplicas(a: string, b: string) {
  const replicas = { [a]: await replica(a), [b]: await replica(b) } as Record<string, Replica>;
  const holder = await waitFor(
    "a leader",
    async () => {
      const h = await leaseHolder();
      return h && h in replicas ? h : undefined;
    },
    { timeoutMs: 30_000 },
  );
  const leader = replicas[holder] as Replica;
  const standby = replicas[holder === a ? b : a] as Replica;
  return { leader, standby };
}

function rbac(): unknown[] {
  const subjects = [{ kind: "ServiceAccount", name: SA, namespace: NS }];
  const roleRules = (rules: ReturnType<typeof operatorRules>) =>
    rules.map(({ apiGroups, resources, verbs }) => ({ apiGroups, resources, verbs }));
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SA, namespace: NS } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: SA },
      rules: roleRules(operatorRules()),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: SA },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: SA },
      subjects,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: `${SA}-leader-election`, namespace: NS },
      rules: roleRules(leaderElectionRules()),
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${SA}-leader-election`, namespace: NS },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${SA}-leader-election` },
      subjects,
    },
  ];
}

/** A Pod of the operator's ServiceAccount: only its name and uid matter, it need not run. */
const pod = (name: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: NS },
  spec: {
    serviceAccountName: SA,
    automountServiceAccountToken: false,
    containers: [{ name: "operator", image: "agentyard/operator:test" }],
  },
});

const PODS = ["operator-a", "operator-b", "operator-c", "operator-d", "operator-e"];

beforeAll(async () => {
  cluster = await clusterWithCrds("fence");
  dir = await mkdtemp(join(tmpdir(), "agentyard-fence-"));
  await kubectl(["create", "namespace", NS]);
  const fence = leaderFencePolicy(`${SA}-leader-fence`, {
    serviceAccount: { namespace: NS, name: SA },
    lease: { namespace: NS, name: LEASE },
  });
  const objects = [...rbac(), ...PODS.map(pod), fence.policy, fence.binding];
  await kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
  await applyManifest(cluster, orgManifest(ORG));
});

afterAll(async () => {
  await stopAll();
  for (const r of relays) await r.close();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A ConfigMap in the Org's namespace: a kind the operator's role may create. */
function tryWrite(client: ClusterClient, name: string): Promise<unknown> {
  const body = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ORG_NS } };
  return client.request("POST", `/api/v1/namespaces/${ORG_NS}/configmaps`, { body }).then(
    () => "written",
    (err: unknown) => err,
  );
}

describe("the leader fence", () => {
  it("lets the leader write, and refuses a write of the replica that does not hold the Lease", async () => {
    const { leader, standby } = await twoReplicas("operator-a", "operator-b");
    await orgNamespace();
    await applyManifest(cluster, taskManifest("led", ORG_NS, { org: ORG, prompt: "x" }));
    await waitForTask(cluster, ORG_NS, "led", "to be Running", phaseIs("Running"));
    const written = (await writesBy(leader.name)).filter((e) => !isLeaseWrite(e));
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((e) => e.responseStatus?.code === 403).map(show)).toEqual([]);

    const direct = clientFromKubeconfigFile(
      await kubeconfigFor("direct-b", cluster.server, await token(standby.name)),
      "direct",
    );
    const refused = await tryWrite(direct, "by-the-standby");
    expect(statusCode(refused)).toBe(403);
    expect(notLeaderMessage(refused)).toContain(`not the leader: ${leader.name} holds the Lease`);
    const asLeader = clientFromKubeconfigFile(
      await kubeconfigFor("direct-a", cluster.server, await token(leader.name)),
      "direct",
    );
    expect(await tryWrite(asLeader, "by-the-leader")).toBe("written");
    // A token bound to no Pod carries no pod name: an operator run from a kubeconfig is not fenced.
    const unbound = clientFromKubeconfigFile(
      await kubeconfigFor("unbound", cluster.server, await token()),
      "unbound",
    );
    expect(await tryWrite(unbound, "by-an-unbound-token")).toBe("written");
    await Promise.all([direct.close(), asLeader.close(), unbound.close()]);
  });

  it("refuses every write of a paused leader that reaches the API server after the standby leads", async () => {
    await stopAll();
    const { leader, standby } = await twoReplicas("operator-c", "operator-d");

    const load = clientFromKubeconfigFile(cluster.kubeconfigPath(), "load", { userAgent: "fence-load" });
    let loading = true;
    const created = (async () => {
      for (let i = 0; loading; i++) {
        await load
          .request("POST", `/apis/agentyard.dev/v1alpha1/namespaces/${ORG_NS}/agenttasks`, {
            body: taskManifest(`load-${i}`, ORG_NS, { org: ORG, prompt: "x" }),
          })
          .catch(() => undefined);
        await sleep(200);
      }
    })();
    let since = "";
    try {
      await waitFor(
        "the leader to write",
        async () =>
          (await writesBy(leader.name)).filter((e) => !isLeaseWrite(e)).length >= 5 ? true : undefined,
        { timeoutMs: 30_000 },
      );
      // What the leader sends from now on reaches the server 8 s later: after the standby led
      // (the lease lasts 4 s), as bytes that a paused process's TLS layer held would.
      const before = leader.relay.delayedBytes();
      leader.relay.delay(8_000);
      await waitFor(
        "the leader to send writes into the delay",
        async () => (leader.relay.delayedBytes() - before > 4_000 ? true : undefined),
        { timeoutMs: 10_000 },
      );
      leader.process.kill("SIGSTOP");
      await waitFor(
        "the standby to take the lease",
        async () => ((await leaseHolder()) === standby.name ? true : undefined),
        { timeoutMs: 30_000 },
      );
      const acquisition = await waitFor("the acquisition in the audit log", async () =>
        (await writesBy(standby.name)).find((e) => isLeaseWrite(e) && (e.responseStatus?.code ?? 0) < 300),
      );
      since = acquisition.requestReceivedTimestamp as string;
      await waitFor(
        "the delayed bytes to be answered",
        async () => (leader.relay.settled() ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
      leader.process.kill("SIGCONT");
      await waitFor(
        "the old leader to exit",
        async () => (leader.process.exitCode !== null ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
      expect(leader.process.exitCode).toBe(1);
    } finally {
      loading = false;
      await created;
      await load.close();
    }

    const late = (await writesBy(leader.name)).filter((e) => (e.requestReceivedTimestamp as string) >= since);
    console.log(`[fence] writes of the old leader received after the handover: ${late.map(show).join(", ")}`);
    expect(late.filter((e) => (e.responseStatus?.code ?? 0) < 300).map(show)).toEqual([]);
    // The delay did make writes land late, and the policy refused them.
    const refused = late.filter((e) => !isLeaseWrite(e));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.filter((e) => e.responseStatus?.code !== 403).map(show)).toEqual([]);
  });

  it("ends the term of a leader the API server refuses, without retrying", async () => {
    await stopAll();
    // A long lease, so that the replica's next renewal (every 8 s) comes well after its refusal.
    const only = await replica("operator-e", ["--lease-duration=60s"]);
    await waitFor(
      "operator-e to lead",
      async () => ((await leaseHolder()) === only.name ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
    await orgNamespace();
    const after = (await writesBy(only.name)).length;
    // Another replica takes the Lease behind its back; the API server knows at once, operator-e not yet.
    await kubectl([
      "patch",
      "lease",
      LEASE,
      "-n",
      NS,
      "--type=merge",
      "-p",
      '{"spec":{"holderIdentity":"elsewhere"}}',
    ]);
    await applyManifest(cluster, taskManifest("refused", ORG_NS, { org: ORG, prompt: "x" }));
    await waitFor("operator-e to exit", async () => (only.process.exitCode !== null ? true : undefined), {
      timeoutMs: 30_000,
    });
    expect(only.process.exitCode).toBe(1);
    expect(only.log()).toContain("another replica leads; ending this term");
    expect(only.log()).toContain("not the leader: elsewhere holds the Lease");
    const refused = (await writesBy(only.name)).slice(after).filter((e) => e.responseStatus?.code === 403);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(3);
  });
});
