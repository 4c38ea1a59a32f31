import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CodeServer, ensureCodeServer } from "../devcluster/code-server.ts";
import { waitFor } from "../devcluster/http.ts";
import { LOCAL_LABEL, LOCAL_TAINT, type NodeAgent, startNodeAgent } from "../devcluster/node-agent/index.ts";
import { markedProcesses } from "../devcluster/node-agent/processes.ts";
import type { Pod } from "../devcluster/node-agent/types.ts";
import { DEFAULT_AGENT_IMAGE } from "../operator/render/images.ts";
import { renderTask } from "../operator/render/task.ts";
import { CODE_SERVER_VERSION, LOCAL_PORTS_ANNOTATION } from "../schema/contract/index.ts";
import { org as orgFixture, task as taskFixture } from "../schema/fixtures.test-support.ts";
import { configMapData } from "./support/agent.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";
import { expectServing, startCodeServer } from "./support/code-server.ts";

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
let codeServer: CodeServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentyard-code-server-"));
  // The first run installs code-server (minutes: npm, then native modules built with node-gyp).
  const started = Date.now();
  codeServer = await ensureCodeServer(log);
  log(
    `[code-server] ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${codeServer.version} in ${codeServer.dir}`,
  );
}, 30 * 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("code-server from the cache", () => {
  it(`is the npm release of the pinned ${CODE_SERVER_VERSION.split(".").slice(0, 2).join(".")} and serves behind its password`, async () => {
    expect(codeServer.version.split(".").slice(0, 2)).toEqual(CODE_SERVER_VERSION.split(".").slice(0, 2));
    const editor = await startCodeServer(codeServer, dir, "let-me-in");
    try {
      const base = editor.base;
      await expectServing(base);
      const wrong = await fetch(`${base}/login`, {
        method: "POST",
        body: new URLSearchParams({ password: "nope" }),
        redirect: "manual",
      });
      expect(wrong.headers.get("set-cookie") ?? "").not.toContain("code-server-session");
      const right = await fetch(`${base}/login`, {
        method: "POST",
        body: new URLSearchParams({ password: "let-me-in" }),
        redirect: "manual",
      });
      expect(right.status).toBe(302);
      expect(right.headers.get("set-cookie")).toContain("code-server-session");
    } finally {
      editor.stop();
    }
  });
});

describe("a task's pod as the operator renders it, on the node agent", () => {
  let agent: NodeAgent;
  const nodeName = uniqueName("local");
  const namespace = uniqueName("node-agent-task");

  beforeAll(async () => {
    agent = await startNodeAgent({
      kubeconfig: sharedCluster().kubeconfig,
      nodeName,
      workDir: join(dir, "agent"),
    });
  });
  afterAll(async () => {
    await agent?.stop();
    await kubectl(["delete", "namespace", namespace, "--wait=false"]);
    await kubectl(["delete", "node", nodeName, "--wait=false"]);
  });

  it("runs the agent runtime, which reports to its state ConfigMap, and code-server, Ready on its loopback port", async () => {
    const org = orgFixture({
      namespace,
      agent: {
        image: DEFAULT_AGENT_IMAGE,
        command: ["sh", "-c", "echo hello > hello.txt"],
        nodeSelector: { [LOCAL_LABEL]: "true", "kubernetes.io/hostname": nodeName },
        tolerations: [{ key: LOCAL_TAINT.key, operator: "Exists", effect: "NoSchedule" }],
      },
    });
    const objects = renderTask(taskFixture({}, "hello"), org, {
      attempt: 1,
      running: true,
      editorPassword: "let-me-in",
      remote: true,
    });
    expect((await kubectl(["create", "namespace", namespace])).code).toBe(0);
    const applied = await kubectl(["apply", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
    });
    expect(applied.code, applied.stderr).toBe(0);

    const pod = await waitFor(
      "the task's pod to be Ready on the node agent",
      async () => {
        const r = await kubectl(["get", "pods", "-n", namespace, "-o", "json"]);
        const p = (JSON.parse(r.stdout).items as Pod[])[0];
        if (!p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) {
          throw new Error(JSON.stringify(p?.status?.containerStatuses));
        }
        return p;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(pod.spec.nodeName).toBe(nodeName);
    const state = await waitFor("the agent's report of the finished task", async () => {
      const data = await configMapData(namespace, "hello-state");
      return data.finishedAt ? data : undefined;
    });
    expect(state.exitCode).toBe("0");

    const ports = JSON.parse(pod.metadata.annotations?.[LOCAL_PORTS_ANNOTATION] ?? "{}") as Record<
      string,
      string
    >;
    await expectServing(`http://${ports.editor}`);

    const marker = `${agent.workDir}#${pod.metadata.uid}/`;
    expect((await markedProcesses(marker, { prefix: true })).length).toBeGreaterThan(0);
    expect((await kubectl(["scale", "deployment", "hello", "-n", namespace, "--replicas=0"])).code).toBe(0);
    await waitFor(
      "the pod to be gone",
      async () => {
        const r = await kubectl(["get", "pods", "-n", namespace, "-o", "name"]);
        return r.stdout.trim() === "" ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(await markedProcesses(marker, { prefix: true })).toEqual([]);
  });
});
