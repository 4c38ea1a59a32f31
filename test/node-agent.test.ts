import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive } from "../devcluster/component.ts";
import { waitFor } from "../devcluster/http.ts";
import {
  LOCAL_LABEL,
  LOCAL_TAINT,
  type NodeAgent,
  type ProgramTable,
  startNodeAgent,
} from "../devcluster/node-agent/index.ts";
import { markedProcesses } from "../devcluster/node-agent/processes.ts";
import type { Pod } from "../devcluster/node-agent/types.ts";
import { LOCAL_PORTS_ANNOTATION } from "../schema/contract/index.ts";
import { kubectl, mustKubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

/**
 * The program that image `test/echo` stands for. As `ROLE=web` it serves HTTP on the address its
 * args give; otherwise it reports what it sees (env, args, files, who its token says it is) into
 * $OUT_DIR/result.json, leaves a grandchild in a session of its own that ignores SIGTERM, marks
 * itself started, and exits with $EXIT_CODE if set (else runs on).
 */
const PROGRAM = `
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { request } from "node:https";
import { join } from "node:path";

const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
if (process.env.ROLE === "web") {
  const [host, port] = arg("--listen").split(":");
  let probes = 0;
  createServer((req, res) => {
    if (req.url === "/healthz") probes++;
    res.end(req.url === "/probes" ? String(probes) : "web " + req.url);
  }).listen(Number(port), host);
} else {
  const sa = process.env.AGENTYARD_SERVICEACCOUNT_DIR;
  const review = await new Promise((resolve, reject) => {
    const req = request(
      "https://" + process.env.KUBERNETES_SERVICE_HOST + ":" + process.env.KUBERNETES_SERVICE_PORT +
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      {
        method: "POST",
        ca: readFileSync(join(sa, "ca.crt")),
        headers: { authorization: "Bearer " + readFileSync(join(sa, "token"), "utf8"), "content-type": "application/json" },
      },
      (res) => { let body = ""; res.on("data", (d) => (body += d)); res.on("end", () => resolve(JSON.parse(body))); },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }));
  });
  const grandchild = spawn("sh", ["-c", "trap '' TERM; sleep 1000"], { detached: true, stdio: "ignore" });
  console.log("echo: started as " + process.pid);
  const out = process.env.OUT_DIR;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "result.json"), JSON.stringify({
    argv: process.argv.slice(2),
    env: Object.fromEntries(["GREETING", "FROM_SECRET", "FROM_CONFIG", "POD_NAME", "EDITOR_URL", "HOME"].map((k) => [k, process.env[k]])),
    config: readFileSync(arg("--config"), "utf8"),
    namespaceFile: readFileSync(join(sa, "namespace"), "utf8"),
    user: review.status.userInfo,
    pid: process.pid,
    grandchild: grandchild.pid,
  }));
  writeFileSync(join(out, "started"), "");
  if (process.env.EXIT_CODE) process.exit(Number(process.env.EXIT_CODE));
  setInterval(() => {}, 60_000);
}
`;

let workDir: string;
let programs: ProgramTable;
let agent: NodeAgent;
const nodeName = uniqueName("local");
const ns = uniqueName("node-agent");

async function getPod(name: string): Promise<Pod | undefined> {
  const r = await kubectl(["get", "pod", name, "-n", ns, "-o", "json"]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
}

/** What places a pod on this test's node agent: its node's name and the taint every local node has. */
const placement = {
  nodeSelector: { [LOCAL_LABEL]: "true", "kubernetes.io/hostname": nodeName },
  tolerations: [{ key: LOCAL_TAINT.key, operator: "Exists", effect: "NoSchedule" }],
};

function echoContainer(name: string, env: Record<string, unknown>[] = []) {
  return {
    name,
    image: "test/echo:1",
    args: ["--config", "/etc/echo/greeting.txt", "--out", "/out"],
    env: [{ name: "OUT_DIR", value: "/out" }, ...env],
    volumeMounts: [
      { name: "out", mountPath: "/out" },
      { name: "config", mountPath: "/etc/echo" },
    ],
  };
}

const echoVolumes = [
  { name: "out", emptyDir: {} },
  { name: "config", configMap: { name: "echo" } },
];

function bare(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns },
    spec: { ...placement, ...spec },
  };
}

interface Result {
  argv: string[];
  env: Record<string, string>;
  config: string;
  namespaceFile: string;
  user: { username: string; extra: Record<string, string[]> };
  pid: number;
  grandchild: number;
}

async function result(uid: string): Promise<Result> {
  const file = join(agent.podDir(uid), "volumes", "out", "result.json");
  return waitFor("the program's result.json", async () =>
    existsSync(file) ? JSON.parse(await readFile(file, "utf8")) : undefined,
  );
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "agentyard-node-agent-"));
  const script = join(workDir, "echo.mjs");
  await writeFile(script, PROGRAM);
  programs = { "test/echo": { prepare: async () => ({ entrypoint: [process.execPath, script] }) } };
  agent = await startNodeAgent({
    kubeconfig: sharedCluster().kubeconfig,
    nodeName,
    workDir: join(workDir, "agent"),
    programs,
    restartBackoff: { baseMs: 500, maxMs: 2000 },
  });
  await mustKubectl(["create", "namespace", ns]);
  await mustKubectl(["create", "serviceaccount", "runner", "-n", ns]);
  await mustKubectl(["create", "secret", "generic", "echo", "-n", ns, "--from-literal=value=s3cret"]);
  await mustKubectl([
    "create",
    "configmap",
    "echo",
    "-n",
    ns,
    "--from-literal=greeting.txt=hello from a configmap",
  ]);
});

afterAll(async () => {
  await agent?.stop();
  await kubectl(["delete", "namespace", ns, "--wait=false"]);
  await kubectl(["delete", "node", nodeName, "--wait=false"]);
  await rm(workDir, { recursive: true, force: true });
});

describe("the node agent's node", () => {
  it("is Ready, labelled and tainted for local pods, and holds its Lease", async () => {
    const node = JSON.parse(await mustKubectl(["get", "node", nodeName, "-o", "json"]));
    expect(node.metadata.labels[LOCAL_LABEL]).toBe("true");
    expect(node.metadata.annotations?.["kwok.x-k8s.io/node"]).toBeUndefined();
    expect(node.spec.taints).toContainEqual(LOCAL_TAINT);
    expect(node.status.conditions.find((c: { type: string }) => c.type === "Ready").status).toBe("True");
    const lease = JSON.parse(
      await mustKubectl(["get", "lease", nodeName, "-n", "kube-node-lease", "-o", "json"]),
    );
    expect(lease.spec.holderIdentity).toBe(nodeName);
    expect(Date.now() - Date.parse(lease.spec.renewTime)).toBeLessThan(15_000);
  });
});

describe("a Deployment placed on the node agent", () => {
  it("runs as local processes with its env, files, ports and a token of its ServiceAccount, and goes Ready", async () => {
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "echo", namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "echo" } },
        template: {
          metadata: { labels: { app: "echo" } },
          spec: {
            ...placement,
            serviceAccountName: "runner",
            containers: [
              {
                ...echoContainer("main", [
                  { name: "GREETING", value: "hi" },
                  { name: "FROM_SECRET", valueFrom: { secretKeyRef: { name: "echo", key: "value" } } },
                  {
                    name: "FROM_CONFIG",
                    valueFrom: { configMapKeyRef: { name: "echo", key: "greeting.txt" } },
                  },
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  { name: "EDITOR_URL", value: "http://127.0.0.1:8080/x" },
                  { name: "HOME", value: "/out/home" },
                ]),
                readinessProbe: { exec: { command: ["test", "-f", "/out/started"] }, periodSeconds: 1 },
              },
              {
                name: "web",
                image: "test/echo:1",
                args: ["--listen", "0.0.0.0:8080"],
                env: [{ name: "ROLE", value: "web" }],
                ports: [{ name: "http", containerPort: 8080 }],
                readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1 },
              },
            ],
            volumes: echoVolumes,
          },
        },
      },
    };
    await mustKubectl(["apply", "-f", "-"], JSON.stringify(deployment));
    const pod = await waitFor(
      "the Deployment's pod to be Running and Ready on the node agent",
      async () => {
        const list = JSON.parse(await mustKubectl(["get", "pods", "-n", ns, "-l", "app=echo", "-o", "json"]));
        const ready = (list.items as Pod[]).find(
          (p) =>
            p.status?.phase === "Running" &&
            p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
        );
        // Not yet: the statuses become waitFor's last error, which a timeout shows.
        if (!ready) throw new Error(JSON.stringify(list.items.map((p: Pod) => p.status)));
        return ready;
      },
      { timeoutMs: 60_000 },
    );
    expect(pod.spec.nodeName).toBe(nodeName);
    expect(pod.status?.podIP).toBe("127.0.0.1");
    expect(pod.status?.containerStatuses?.map((s) => [s.name, s.ready, Object.keys(s.state)])).toEqual([
      ["main", true, ["running"]],
      ["web", true, ["running"]],
    ]);

    const got = await result(pod.metadata.uid);
    const out = join(agent.podDir(pod.metadata.uid), "volumes", "out");
    expect(got.argv).toEqual([
      "--config",
      join(agent.podDir(pod.metadata.uid), "volumes", "config", "greeting.txt"),
      "--out",
      out,
    ]);
    expect(got.config).toBe("hello from a configmap");
    expect(got.env).toEqual({
      GREETING: "hi",
      FROM_SECRET: "s3cret",
      FROM_CONFIG: "hello from a configmap",
      POD_NAME: pod.metadata.name,
      // The pod's port 8080 got a loopback port of its own, and the env follows it.
      EDITOR_URL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/x$/),
      HOME: join(out, "home"),
    });
    expect(got.env.EDITOR_URL).not.toContain(":8080/");
    expect(got.namespaceFile).toBe(ns);
    // The projected token is the ServiceAccount's, bound to this very pod.
    expect(got.user.username).toBe(`system:serviceaccount:${ns}:runner`);
    expect(got.user.extra["authentication.kubernetes.io/pod-uid"]).toEqual([pod.metadata.uid]);

    const ports = JSON.parse(pod.metadata.annotations?.[LOCAL_PORTS_ANNOTATION] ?? "{}");
    expect(ports).toEqual({ http: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(got.env.EDITOR_URL).toBe(`http://${ports.http}/x`);
    const res = await fetch(`http://${ports.http}/hello`);
    expect(await res.text()).toBe("web /hello");

    // Probes that keep passing change nothing, so nothing is written.
    const probes = async () => Number(await (await fetch(`http://${ports.http}/probes`)).text());
    const counted = await probes();
    const version = pod.metadata.resourceVersion;
    await waitFor("three more probes", async () => ((await probes()) >= counted + 3 ? true : undefined));
    expect((await getPod(pod.metadata.name))?.metadata.resourceVersion).toBe(version);

    // The API server gets the container's output from the node agent, as from a kubelet.
    const logs = await kubectl(["logs", pod.metadata.name, "-n", ns, "-c", "main", "--tail=1"]);
    expect(logs.stderr).toBe("");
    expect(logs.stdout).toBe(`echo: started as ${got.pid}\n`);
  });
});

describe("a container that exits", () => {
  it("shows its exit code and is started again, in CrashLoopBackOff between runs", async () => {
    await mustKubectl(
      ["apply", "-f", "-"],
      JSON.stringify(
        bare("crash", {
          containers: [echoContainer("main", [{ name: "EXIT_CODE", value: "3" }])],
          volumes: echoVolumes,
        }),
      ),
    );
    const seen = new Set<string>();
    const pod = await waitFor(
      "the container to have been restarted twice",
      async () => {
        const p = await getPod("crash");
        const s = p?.status?.containerStatuses?.[0];
        if (s && "waiting" in s.state) seen.add(s.state.waiting.reason);
        return s && s.restartCount >= 2 ? p : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.lastState).toMatchObject({ terminated: { exitCode: 3, reason: "Error" } });
    expect(seen).toContain("CrashLoopBackOff");
    expect(pod.status?.phase).toBe("Running");
  });

  it("with restartPolicy Never ends the pod: Succeeded on exit code 0", async () => {
    await mustKubectl(
      ["apply", "-f", "-"],
      JSON.stringify(
        bare("once", {
          restartPolicy: "Never",
          containers: [echoContainer("main", [{ name: "EXIT_CODE", value: "0" }])],
          volumes: echoVolumes,
        }),
      ),
    );
    const pod = await waitFor("the pod to succeed", async () => {
      const p = await getPod("once");
      return p?.status?.phase === "Succeeded" ? p : undefined;
    });
    expect(pod.status?.containerStatuses?.[0]?.state).toMatchObject({
      terminated: { exitCode: 0, reason: "Completed" },
    });
  });
});

describe("an image the node agent has no program for", () => {
  it("waits with a reason that says so and never runs", async () => {
    await mustKubectl(
      ["apply", "-f", "-"],
      JSON.stringify(bare("nginx", { containers: [{ name: "web", image: "nginx:1.27" }] })),
    );
    const pod = await waitFor("the container's waiting reason", async () => {
      const p = await getPod("nginx");
      const s = p?.status?.containerStatuses?.[0];
      return s && "waiting" in s.state && s.state.waiting.reason === "ErrImageNeverPull" ? p : undefined;
    });
    const waiting = pod.status?.containerStatuses?.[0]?.state as { waiting: { message: string } };
    expect(waiting.waiting.message).toContain(`image nginx:1.27 cannot run on agentyard-local`);
    expect(pod.status?.phase).toBe("Pending");
    expect(pod.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
  });
});

describe("deleting a pod", () => {
  it("kills its whole process tree, grandchildren in other sessions too, and the pod disappears", async () => {
    await mustKubectl(
      ["apply", "-f", "-"],
      JSON.stringify(
        bare("doomed", {
          terminationGracePeriodSeconds: 2,
          containers: [echoContainer("main")],
          volumes: echoVolumes,
        }),
      ),
    );
    const uid = await waitFor("the pod to run", async () => {
      const p = await getPod("doomed");
      return p?.status?.phase === "Running" ? p.metadata.uid : undefined;
    });
    const got = await result(uid);
    const marker = `${agent.workDir}#${uid}/`;
    expect(alive(got.pid) && alive(got.grandchild)).toBe(true);
    expect((await markedProcesses(marker, { prefix: true })).length).toBeGreaterThanOrEqual(3);

    await mustKubectl(["delete", "pod", "doomed", "-n", ns, "--wait=false"]);
    await waitFor("the pod to disappear", async () => ((await getPod("doomed")) ? undefined : true), {
      timeoutMs: 30_000,
    });
    expect(await markedProcesses(marker, { prefix: true })).toEqual([]);
    expect(existsSync(agent.podDir(uid))).toBe(false);
  });
});

describe("a restarted node agent", () => {
  it("kills its pods' processes when it stops and starts them again when it comes back", async () => {
    await mustKubectl(
      ["apply", "-f", "-"],
      JSON.stringify(bare("survivor", { containers: [echoContainer("main")], volumes: echoVolumes })),
    );
    const before = await waitFor("the pod to run", async () => {
      const p = await getPod("survivor");
      return p?.status?.phase === "Running" ? p : undefined;
    });
    const first = await result(before.metadata.uid);
    await agent.stop();
    expect(await markedProcesses(`${agent.workDir}#`, { prefix: true })).toEqual([]);
    await rm(join(agent.podDir(before.metadata.uid), "volumes", "out", "result.json"));

    agent = await startNodeAgent({
      kubeconfig: sharedCluster().kubeconfig,
      nodeName,
      workDir: agent.workDir,
      programs,
      restartBackoff: { baseMs: 500, maxMs: 2000 },
    });
    const second = await result(before.metadata.uid);
    expect(second.pid).not.toBe(first.pid);
    const after = await waitFor("the restart to be counted", async () => {
      const p = await getPod("survivor");
      const s = p?.status?.containerStatuses?.[0];
      return s && "running" in s.state && s.restartCount === 1 ? s : undefined;
    });
    expect(after.ready).toBe(true);
  });
});
