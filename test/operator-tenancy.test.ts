import { readFile } from "node:fs/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import type { RunningOperator } from "../operator/main.ts";
import { REMOTE_CLEANUP_FINALIZER } from "../schema/contract/index.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import type { AgentTask } from "../schema/index.ts";
import {
  applyManifest,
  clusterWithCrds,
  condition,
  getJson,
  getOrg,
  getTask,
  orgWhenReadyReason,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";

/**
 * A task acts only inside its own Org: each case is what a tenant (or whoever writes an Org's spec)
 * could do to another Org before the defence, tried on a real cluster against a real operator.
 */

let cluster: DevCluster;
let operator: RunningOperator;
const OPERATOR_NAMESPACE = "agentyard-system";

beforeAll(async () => {
  cluster = await clusterWithCrds("tenancy");
  await cluster.kubectl(["create", "namespace", "capi"]);
  operator = await startTestOperator(cluster, {
    operatorNamespace: OPERATOR_NAMESPACE,
    secretNamespaces: ["capi"],
  });
  // The attacker's own Org: its tenants may create AgentTasks in org-mallory.
  await applyManifest(cluster, orgManifest("mallory"));
  await orgWhenReadyReason(cluster, "mallory", "Ready");
});

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

const isStalled = (t: AgentTask) =>
  t.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True") ?? false;

async function uidOf(kind: string, name: string, namespace: string): Promise<string | undefined> {
  return (await getJson<KubernetesObject>(cluster, [kind, name, "-n", namespace]))?.metadata?.uid;
}

/** Writes a task's status as whoever may write agenttasks/status could. */
async function patchStatus(name: string, namespace: string, status: Record<string, unknown>): Promise<void> {
  const patched = await cluster.kubectl([
    "patch",
    "agenttask",
    name,
    "-n",
    namespace,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status }),
  ]);
  expect(patched.code, patched.stderr).toBe(0);
}

async function deploymentsLabelled(task: string): Promise<string> {
  const r = await cluster.kubectl([
    "get",
    "deployments",
    "-A",
    "-l",
    `agentyard.dev/task=${task}`,
    "-o",
    "name",
  ]);
  return r.stdout.trim();
}

describe("a deleting task that names another Org", () => {
  it("deletes none of that Org's same-named children", async () => {
    await applyManifest(cluster, orgManifest("victim"));
    await orgWhenReadyReason(cluster, "victim", "Ready");
    await applyManifest(cluster, taskManifest("payroll", "org-victim", { org: "victim", prompt: "x" }));
    await waitForTask(cluster, "org-victim", "payroll", "to start", phaseIs("Starting", "Running"));
    const children: [string, string][] = [
      ["deployment", "payroll"],
      ["configmap", "payroll-state"],
      ["secret", "payroll-editor"],
    ];
    const before = await Promise.all(children.map(([kind, name]) => uidOf(kind, name, "org-victim")));
    for (const uid of before) expect(uid).toBeDefined();

    // The attacker's task, in the attacker's namespace, with the finalizer the operator honours.
    await applyManifest(cluster, {
      ...taskManifest("payroll", "org-mallory", { org: "victim", prompt: "x" }),
      metadata: { name: "payroll", namespace: "org-mallory", finalizers: [REMOTE_CLEANUP_FINALIZER] },
    });
    await waitForTask(cluster, "org-mallory", "payroll", "to stall", isStalled);
    const deleted = await cluster.kubectl([
      "delete",
      "agenttask",
      "payroll",
      "-n",
      "org-mallory",
      "--wait=false",
    ]);
    expect(deleted.code, deleted.stderr).toBe(0);
    await waitFor("the attacker's task to be gone", async () =>
      (await getTask(cluster, "org-mallory", "payroll")) === undefined ? true : undefined,
    );

    const after = await Promise.all(children.map(([kind, name]) => uidOf(kind, name, "org-victim")));
    expect(after).toEqual(before);
  });
});

describe("a task whose Org is missing, with a status naming another Org's namespace", () => {
  it("removes none of that Org's same-named children", async () => {
    await applyManifest(cluster, orgManifest("target"));
    await orgWhenReadyReason(cluster, "target", "Ready");
    await applyManifest(cluster, taskManifest("ledger", "org-target", { org: "target", prompt: "x" }));
    await waitForTask(cluster, "org-target", "ledger", "to start", phaseIs("Starting", "Running"));
    const children: [string, string][] = [
      ["deployment", "ledger"],
      ["configmap", "ledger-state"],
      ["secret", "ledger-editor"],
    ];
    const before = await Promise.all(children.map(([kind, name]) => uidOf(kind, name, "org-target")));
    for (const uid of before) expect(uid).toBeDefined();

    // Whoever may write a task's status can say where its agents are: the removal checks labels and uid.
    await applyManifest(cluster, taskManifest("ledger", "org-mallory", { org: "nobody", prompt: "x" }));
    await waitForTask(cluster, "org-mallory", "ledger", "to stall", isStalled);
    const status = { phase: "Running", attempts: 1, cluster: "local", namespace: "org-target" };
    await patchStatus("ledger", "org-mallory", status);
    await waitForTask(
      cluster,
      "org-mallory",
      "ledger",
      "to report its agents removed",
      (t) => condition(t, "AgentsRemoved")?.status === "True",
    );

    const after = await Promise.all(children.map(([kind, name]) => uidOf(kind, name, "org-target")));
    expect(after).toEqual(before);
  });
});

describe("a task whose status names a kubeconfig Secret outside the designated namespaces", () => {
  it("has its removal refused before that Secret is read", async () => {
    // Another team's cluster credentials, in a namespace the platform team did not designate.
    await cluster.kubectl(["create", "namespace", "team-b"]);
    await cluster.kubectl([
      "create",
      "secret",
      "generic",
      "prod-kubeconfig",
      "-n",
      "team-b",
      "--from-literal=value=x",
    ]);
    await applyManifest(cluster, taskManifest("reach", "org-mallory", { org: "nobody", prompt: "x" }));
    await waitForTask(cluster, "org-mallory", "reach", "to stall", isStalled);
    const status = { phase: "Running", attempts: 1, cluster: "team-b/prod-kubeconfig", namespace: "x" };
    await patchStatus("reach", "org-mallory", status);
    const t = await waitForTask(
      cluster,
      "org-mallory",
      "reach",
      "to report its agents not removed",
      (x) => condition(x, "AgentsRemoved")?.status === "False",
    );
    expect(condition(t, "AgentsRemoved")?.message).toMatch(
      /team-b\/prod-kubeconfig" names a Secret outside the namespaces designated for Org Secrets \(capi\)/,
    );
  });
});

describe("tasks outside their Org's namespace", () => {
  it("never take a place in that Org's queue or its counts", async () => {
    await applyManifest(cluster, orgManifest("starved", { limits: { maxConcurrentTasks: 2 } }));
    await orgWhenReadyReason(cluster, "starved", "Ready");
    for (const i of [1, 2, 3, 4, 5]) {
      await applyManifest(
        cluster,
        taskManifest(`squat-${i}`, "org-mallory", { org: "starved", prompt: "x" }),
      );
    }
    for (const i of [1, 2, 3, 4, 5]) {
      await waitForTask(cluster, "org-mallory", `squat-${i}`, "to stall", isStalled);
    }
    await applyManifest(cluster, taskManifest("real", "org-starved", { org: "starved", prompt: "x" }));
    await waitForTask(cluster, "org-starved", "real", "to start", phaseIs("Starting", "Running"));
    const counted = await waitFor("Org starved to count its one task", async () => {
      const org = await getJson<{ status?: { tasks?: Record<string, number> } }>(cluster, ["org", "starved"]);
      const counts = Object.values(org?.status?.tasks ?? {});
      const total = counts.reduce((a, b) => a + b, 0);
      return total > 0 && (org?.status?.tasks?.pending ?? 0) === 0 ? total : undefined;
    });
    expect(counted).toBe(1);
  });
});

describe("an Org's namespace", () => {
  it("is never one that exists without agentyard having made it for the Org", async () => {
    await cluster.kubectl(["create", "namespace", "payroll"]);
    await applyManifest(cluster, orgManifest("squatter", { namespace: "payroll" }));
    const org = await orgWhenReadyReason(cluster, "squatter", "TenancyRefused");
    expect(condition(org, "Stalled")?.message).toBe(
      "namespace payroll already exists in cluster local and was not made by agentyard for Org squatter: an Org takes only a namespace of its own; choose another spec.namespace",
    );
    await applyManifest(cluster, taskManifest("grab", "payroll", { org: "squatter", prompt: "x" }));
    const task = await waitForTask(cluster, "payroll", "grab", "to stall", isStalled);
    expect(condition(task, "Stalled")?.reason).toBe("OrgRefused");
    const ns = await getJson<KubernetesObject>(cluster, ["namespace", "payroll"]);
    expect(ns?.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBeUndefined();
    expect(ns?.metadata?.labels?.["pod-security.kubernetes.io/enforce"]).toBeUndefined();
    expect(await deploymentsLabelled("grab")).toBe("");
  });

  it("is never another Org's", async () => {
    await applyManifest(cluster, orgManifest("first", { namespace: "shared-ns" }));
    await orgWhenReadyReason(cluster, "first", "Ready");
    await applyManifest(cluster, orgManifest("second", { namespace: "shared-ns" }));
    const second = await orgWhenReadyReason(cluster, "second", "TenancyRefused");
    expect(condition(second, "Stalled")?.message).toContain(
      "namespace shared-ns is the namespace of Org first, and two Orgs cannot share one",
    );
    await applyManifest(cluster, taskManifest("borrowed", "shared-ns", { org: "second", prompt: "x" }));
    await waitForTask(cluster, "shared-ns", "borrowed", "to stall", isStalled);
    expect(await deploymentsLabelled("borrowed")).toBe("");
    await orgWhenReadyReason(cluster, "first", "Ready");
  });

  it("is never the operator's own", async () => {
    await applyManifest(cluster, orgManifest("intruder", { namespace: OPERATOR_NAMESPACE }));
    const org = await orgWhenReadyReason(cluster, "intruder", "TenancyRefused");
    expect(condition(org, "Stalled")?.message).toContain(
      `namespace ${OPERATOR_NAMESPACE} is the operator's own`,
    );
    expect(await getJson(cluster, ["namespace", OPERATOR_NAMESPACE])).toBeUndefined();
  });
});

describe("a deleted Org refused another Org's namespace", () => {
  it("deletes nothing of that Org's, ends its own tasks and goes", async () => {
    await applyManifest(cluster, orgManifest("holder", { namespace: "held-ns" }));
    await orgWhenReadyReason(cluster, "holder", "Ready");
    const policy = await uidOf("networkpolicy", "agentyard-agents", "held-ns");
    expect(policy).toBeDefined();
    await applyManifest(cluster, orgManifest("latecomer", { namespace: "held-ns" }));
    await orgWhenReadyReason(cluster, "latecomer", "TenancyRefused");
    await applyManifest(cluster, taskManifest("late", "held-ns", { org: "latecomer", prompt: "x" }));
    await waitForTask(cluster, "held-ns", "late", "to stall", isStalled);

    expect((await cluster.kubectl(["delete", "org", "latecomer", "--wait=false"])).code).toBe(0);
    await waitFor("Org latecomer to go", async () =>
      (await getOrg(cluster, "latecomer")) ? undefined : true,
    );
    const late = await waitForTask(cluster, "held-ns", "late", "to be cancelled", phaseIs("Cancelled"));
    expect(condition(late, "Ready")?.reason).toBe("OrgDeleted");
    expect(await uidOf("networkpolicy", "agentyard-agents", "held-ns")).toBe(policy);
    await orgWhenReadyReason(cluster, "holder", "Ready");
  });
});

describe("the Secrets an Org names", () => {
  it("are read only from the namespaces the platform team designated", async () => {
    // A working kubeconfig, kept by another tenant in its own namespace.
    await applyManifest(cluster, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "victim-kubeconfig", namespace: "org-victim" },
      stringData: { value: await readFile(cluster.kubeconfigPath(), "utf8") },
    });
    await applyManifest(
      cluster,
      orgManifest("borrower", {
        cluster: { kubeconfigSecretRef: { name: "victim-kubeconfig", namespace: "org-victim" } },
      }),
    );
    const org = await orgWhenReadyReason(cluster, "borrower", "TenancyRefused");
    expect(condition(org, "Stalled")?.message).toBe(
      "spec.cluster.kubeconfigSecretRef.namespace org-victim is not a namespace designated for Org Secrets (capi): put the kubeconfig Secret in one of them",
    );

    await applyManifest(
      cluster,
      orgManifest("git-borrower", {
        git: { credentialsSecretRef: { name: "payroll-editor", namespace: "org-victim" } },
      }),
    );
    const git = await orgWhenReadyReason(cluster, "git-borrower", "TenancyRefused");
    expect(condition(git, "Stalled")?.message).toContain(
      "spec.git.credentialsSecretRef.namespace org-victim",
    );
    expect(await getJson(cluster, ["secret", "payroll-editor", "-n", "org-git-borrower"])).toBeUndefined();

    await applyManifest(
      cluster,
      orgManifest("key-borrower", {
        agent: {
          preset: "claude-code",
          credentialsSecretRef: { name: "payroll-editor", namespace: "org-victim" },
        },
      }),
    );
    const keys = await orgWhenReadyReason(cluster, "key-borrower", "TenancyRefused");
    expect(condition(keys, "Stalled")?.message).toContain(
      "spec.agent.credentialsSecretRef.namespace org-victim",
    );
    expect(await getJson(cluster, ["secret", "payroll-editor", "-n", "org-key-borrower"])).toBeUndefined();

    await applyManifest(
      cluster,
      orgManifest("tailnet-borrower", {
        mesh: {
          provider: "tailscale",
          mode: "sidecar",
          authKeySecretRef: { name: "payroll-editor", namespace: "org-victim" },
          tailnetDomain: "tailnet.example.com",
        },
      }),
    );
    const tailnet = await orgWhenReadyReason(cluster, "tailnet-borrower", "TenancyRefused");
    expect(condition(tailnet, "Stalled")?.message).toContain(
      "spec.mesh.authKeySecretRef.namespace org-victim",
    );
    expect(
      await getJson(cluster, ["secret", "payroll-editor", "-n", "org-tailnet-borrower"]),
    ).toBeUndefined();
  });

  it("in a designated namespace reach the Org's agents as a copy in its namespace", async () => {
    await applyManifest(cluster, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "copier-git", namespace: "capi" },
      stringData: { username: "robot", password: "hunter2" },
    });
    await applyManifest(
      cluster,
      orgManifest("copier", { git: { credentialsSecretRef: { name: "copier-git", namespace: "capi" } } }),
    );
    await orgWhenReadyReason(cluster, "copier", "Ready");
    const copy = await getJson<{ data?: Record<string, string> }>(cluster, [
      "secret",
      "copier-git",
      "-n",
      "org-copier",
    ]);
    expect(Buffer.from(copy?.data?.username ?? "", "base64").toString()).toBe("robot");
  });

  it("for the agent's model keys reach its agents as a copy too, removed with the Org", async () => {
    await applyManifest(cluster, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "keyed-models", namespace: "capi" },
      stringData: { ANTHROPIC_API_KEY: "sk-test" },
    });
    await applyManifest(
      cluster,
      orgManifest("keyed", {
        agent: { preset: "claude-code", credentialsSecretRef: { name: "keyed-models", namespace: "capi" } },
      }),
    );
    await orgWhenReadyReason(cluster, "keyed", "Ready");
    const copy = await getJson<KubernetesObject & { data?: Record<string, string> }>(cluster, [
      "secret",
      "keyed-models",
      "-n",
      "org-keyed",
    ]);
    expect(Buffer.from(copy?.data?.ANTHROPIC_API_KEY ?? "", "base64").toString()).toBe("sk-test");
    expect(copy?.metadata?.labels?.["app.kubernetes.io/component"]).toBe("agent-credentials");

    expect((await cluster.kubectl(["delete", "org", "keyed", "--wait=false"])).code).toBe(0);
    await waitFor("the copy to go with its Org", async () =>
      (await getJson(cluster, ["secret", "keyed-models", "-n", "org-keyed"])) ? undefined : true,
    );
    expect(await getJson(cluster, ["secret", "keyed-models", "-n", "capi"])).toBeDefined();
  });
});

describe("tailnet hostnames", () => {
  it("differ for Org team-a's task x and Org team's task a-x", async () => {
    const mesh = { mesh: { provider: "tailscale" } };
    await applyManifest(cluster, orgManifest("team-a", mesh));
    await applyManifest(cluster, orgManifest("team", mesh));
    await applyManifest(cluster, taskManifest("x", "org-team-a", { org: "team-a", prompt: "x" }));
    await applyManifest(cluster, taskManifest("a-x", "org-team", { org: "team", prompt: "x" }));
    const hostname = (namespace: string, name: string) =>
      waitFor(`the Service ${namespace}/${name}`, async () => {
        const svc = await getJson<KubernetesObject>(cluster, ["service", name, "-n", namespace]);
        return svc?.metadata?.annotations?.["tailscale.com/hostname"];
      });
    const [teamA, team] = await Promise.all([hostname("org-team-a", "x"), hostname("org-team", "a-x")]);
    expect(teamA).not.toBe(team);
    for (const h of [teamA, team]) expect(h).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });
});

describe("a task's own image", () => {
  it("is refused unless its Org allows image overrides, and then always pulled", async () => {
    await applyManifest(cluster, orgManifest("strict"));
    await applyManifest(
      cluster,
      taskManifest("cached", "org-strict", {
        org: "strict",
        prompt: "x",
        agent: { image: "registry.example/victim/private:1" },
      }),
    );
    const task = await waitForTask(cluster, "org-strict", "cached", "to stall", isStalled);
    expect(condition(task, "Stalled")?.reason).toBe("ImageOverrideRefused");
    expect(await deploymentsLabelled("cached")).toBe("");

    await applyManifest(
      cluster,
      orgManifest("loose", { agent: { image: "agents/test:1", allowImageOverride: true } }),
    );
    await applyManifest(
      cluster,
      taskManifest("own-image", "org-loose", { org: "loose", prompt: "x", agent: { image: "agents/own:2" } }),
    );
    const container = await waitFor("the Deployment of own-image", async () => {
      const d = await getJson<{
        spec: { template: { spec: { containers: { image: string; imagePullPolicy: string }[] } } };
      }>(cluster, ["deployment", "own-image", "-n", "org-loose"]);
      return d?.spec.template.spec.containers[0];
    });
    expect(container).toMatchObject({ image: "agents/own:2", imagePullPolicy: "Always" });
  });
});

describe("a task's env", () => {
  it("cannot set a variable of the operator's, even one it leaves unset", async () => {
    const r = await cluster.kubectl(["apply", "-f", "-"], {
      input: JSON.stringify(
        taskManifest("own-command", "org-mallory", {
          org: "mallory",
          prompt: "x",
          agent: { env: [{ name: "AGENTYARD_COMMAND", value: '["sh","-c","id"]' }] },
        }),
      ),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.agent.env[0].name: Invalid value");
    expect(r.stderr).toContain("AGENTYARD_* variables are the operator's");
  });
});
