import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAuditLog } from "../devcluster/audit.ts";
import { COMPONENT_NAMES, DevCluster } from "../devcluster/cluster.ts";
import { alive } from "../devcluster/component.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

const deployment = (name: string, namespace: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "main", image: "registry.invalid/agent:1" }] },
    },
  },
});

describe("the shared devcluster", () => {
  it("serves the version it was built as", async () => {
    const r = await kubectl(["version", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).serverVersion.gitVersion).toBe("v1.36.3");
  });

  it("turns a Deployment into a ReplicaSet and a Running pod on a kwok node", async () => {
    const ns = uniqueName("deploy");
    expect((await kubectl(["create", "namespace", ns])).code).toBe(0);
    const applied = await kubectl(["apply", "-f", "-"], { input: JSON.stringify(deployment("web", ns)) });
    expect(applied.code, applied.stderr).toBe(0);
    const pod = await waitFor(
      "a Running pod of the Deployment",
      async () => {
        const r = await kubectl(["get", "pods", "-n", ns, "-l", "app=web", "-o", "json"]);
        const items = JSON.parse(r.stdout).items as {
          status: { phase: string };
          spec: { nodeName?: string };
        }[];
        return items.find((p) => p.status.phase === "Running");
      },
      { timeoutMs: 60_000 },
    );
    expect(pod.spec.nodeName).toMatch(/^test-node-/);
    const rs = await kubectl([
      "get",
      "replicasets",
      "-n",
      ns,
      "-o",
      "jsonpath={.items[*].metadata.ownerReferences[0].name}",
    ]);
    expect(rs.stdout).toBe("web");
  });

  it("refuses a pod that breaks PodSecurity restricted in a namespace labelled for it", async () => {
    const ns = uniqueName("psa");
    await kubectl(["create", "namespace", ns]);
    await kubectl(["label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted"]);
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "privileged", namespace: ns },
      spec: { containers: [{ name: "c", image: "x", securityContext: { privileged: true } }] },
    };
    const r = await kubectl(["apply", "-f", "-"], { input: JSON.stringify(pod) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('violates PodSecurity "restricted:latest"');
    expect(r.stderr).toContain("privileged");
  });

  it("authenticates test users by token and lets RBAC alone decide", async () => {
    const ns = uniqueName("rbac");
    await kubectl(["create", "namespace", ns]);
    const denied = await kubectl(["get", "configmaps", "-n", ns], { user: "alice" });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('User "alice" cannot list resource "configmaps"');
    await kubectl(["create", "rolebinding", "alice-view", "--clusterrole=view", "--user=alice", "-n", ns]);
    await waitFor("alice to be allowed to list configmaps", async () => {
      const r = await kubectl(["get", "configmaps", "-n", ns], { user: "alice" });
      return r.code === 0 ? true : undefined;
    });
    const stillDenied = await kubectl(["create", "configmap", "x", "-n", ns], { user: "alice" });
    expect(stillDenied.stderr).toContain('User "alice" cannot create resource "configmaps"');
    const whoami = await kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], {
      user: "bob",
    });
    expect(whoami.stdout).toBe("bob");
  });

  it("records writes by user in the audit log", async () => {
    const ns = uniqueName("audit");
    await kubectl(["create", "namespace", ns]);
    await kubectl(["create", "configmap", "counted", "-n", ns]);
    const { auditLog } = sharedCluster();
    const entry = await waitFor("the audit entry of the create", async () => {
      return (await readAuditLog(auditLog)).find(
        (e) => e.verb === "create" && e.objectRef?.namespace === ns && e.objectRef?.name === "counted",
      );
    });
    expect(entry.user?.username).toBe("admin");
  });
});

describe("clusters of their own", () => {
  let a: DevCluster;
  let b: DevCluster;
  beforeAll(async () => {
    [a, b] = await Promise.all([DevCluster.start({ name: "east" }), DevCluster.start({ name: "west" })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("run side by side with separate data", async () => {
    expect(a.server).not.toBe(b.server);
    await a.kubectl(["create", "namespace", "only-in-east"]);
    expect((await a.kubectl(["get", "namespace", "only-in-east"])).code).toBe(0);
    const other = await b.kubectl(["get", "namespace", "only-in-east"]);
    expect(other.stderr).toContain('namespaces "only-in-east" not found');
    expect((await b.kubectl(["get", "nodes", "-o", "name"])).stdout.trim()).toBe("node/west-node-0");
  });

  it("survives a restart of kube-apiserver and of etcd with its data", async () => {
    await a.kubectl(["create", "configmap", "kept", "-n", "default", "--from-literal=k=v"]);
    const before = a.pid("kube-apiserver");
    await a.restart("kube-apiserver");
    expect(a.pid("kube-apiserver")).not.toBe(before);
    await a.restart("etcd");
    const r = await waitFor("the API server to serve again after etcd restarted", async () => {
      const got = await a.kubectl(["get", "configmap", "kept", "-n", "default", "-o", "jsonpath={.data.k}"]);
      return got.code === 0 ? got : undefined;
    });
    expect(r.stdout).toBe("v");
  });

  it("leaves no process behind when stopped", async () => {
    const pids = COMPONENT_NAMES.map((c) => b.pid(c) as number);
    expect(pids.every(alive)).toBe(true);
    await b.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(b.dir)).toBe(false);
  });
});

describe("a test process that is killed", () => {
  it("takes its control plane with it", async () => {
    const script = join(projectRoot, "test", "support", "start-and-report.ts");
    const dir = await mkdtemp(join(tmpdir(), "agentyard-orphan-"));
    const child = spawn(process.execPath, [script, dir], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    const pids = await waitFor(
      "the child to report its cluster's pids",
      async () => {
        const line = out.split("\n").find((l) => l.startsWith("PIDS "));
        return line ? (JSON.parse(line.slice(5)) as number[]) : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(pids.length).toBe(COMPONENT_NAMES.length);
    expect(pids.every(Number.isInteger)).toBe(true);
    child.kill("SIGKILL");
    await waitFor("every control-plane process to exit", async () => (pids.some(alive) ? undefined : true), {
      timeoutMs: 15_000,
    });
    await rm(dir, { recursive: true, force: true });
  });
});
