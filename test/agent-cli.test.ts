import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentBundle, buildAgent } from "../agent-image/build.ts";
import { waitFor } from "../devcluster/http.ts";
import { LastPRArtifactSchema } from "../schema/artifact.ts";
import { parseAgentState } from "../schema/contract/index.ts";
import { agentAccess, configMapData } from "./support/agent.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";
import {
  bareRepo,
  branchCommit,
  gitHttpServer,
  gitIn,
  type ProcessInfo,
  processSnapshot,
} from "./support/git.ts";

/**
 * The bundled runtime (what the image runs) started as the pod would start it: the operator's
 * environment, a ServiceAccount token of its own, the Org's git Secret, reports into the real state
 * ConfigMap on the devcluster.
 */
let root: string;
let bundle: AgentBundle;
let bin: string;
const namespace = uniqueName("agent-cli");
const TOKEN = "ghp-cli-secret-token-0123456789";

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "agentyard-cli-"));
  bundle = await buildAgent(join(root, "dist"));
  // The image puts the demo agent on PATH under this name.
  bin = join(root, "bin");
  await mkdir(bin);
  await symlink(bundle.demoAgent, join(bin, "agentyard-demo-agent"));
});
afterAll(async () => {
  await kubectl(["delete", "namespace", namespace, "--wait=false"]);
  await rm(root, { recursive: true, force: true });
});

interface Runtime {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startRuntime(env: NodeJS.ProcessEnv): Runtime {
  const child = spawn(process.execPath, [bundle.agent], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** A task's directories, its ServiceAccount and RBAC, and the environment the operator's Deployment sets. */
async function podFor(task: string, extra: NodeJS.ProcessEnv) {
  const dir = join(root, task);
  await mkdir(dir, { recursive: true });
  const access = await agentAccess(namespace, task, dir);
  const server = new URL(sharedCluster().server);
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: dir,
    AGENTYARD_TASK: task,
    AGENTYARD_ORG: "agents",
    AGENTYARD_NAMESPACE: namespace,
    AGENTYARD_ATTEMPT: "1",
    AGENTYARD_PROMPT: `Write down task ${task}\n\nKeep it short.`,
    AGENTYARD_STATE_CONFIGMAP: `${task}-state`,
    AGENTYARD_STATE_DIR: join(dir, "state"),
    AGENTYARD_WORKSPACE: join(dir, "workspace"),
    KUBERNETES_SERVICE_HOST: server.hostname,
    KUBERNETES_SERVICE_PORT: server.port,
    AGENTYARD_SERVICEACCOUNT_DIR: access.serviceAccountDir,
    ...extra,
  };
  const state = () => configMapData(namespace, `${task}-state`);
  const finished = () =>
    waitFor(`${task} to report it finished`, async () => {
      const data = await state();
      return data.finishedAt ? data : undefined;
    });
  return { dir, env, state, finished, stateDir: join(dir, "state") };
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

const waitForFile = (path: string) =>
  waitFor(`${path} to exist`, async () => ((await exists(path)) ? true : undefined), { intervalMs: 20 });

/** Processes whose argv or environment holds the secret, leaving out the ones allowed to. */
const leaks = (snapshot: ProcessInfo[], secret: string, allowed: number[] = []) =>
  snapshot.filter(
    (p) => !allowed.includes(p.pid) && (p.cmdline.includes(secret) || p.environ.includes(secret)),
  );

describe("the bundled agent runtime", () => {
  it("clones with the Org's token, runs the demo agent, pushes, reports, then watches the editor", async () => {
    const snapshots: ProcessInfo[][] = [];
    const git = await gitHttpServer(root, {
      username: "x-access-token",
      password: TOKEN,
      onRequest: async () => {
        snapshots.push(await processSnapshot());
      },
    });
    const heartbeat = Date.now() + 60_000;
    const editor = createServer((req, res) => {
      if (req.url === "/healthz") res.end(JSON.stringify({ status: "alive", lastHeartbeat: heartbeat }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => editor.listen(0, "127.0.0.1", r));
    try {
      const origin = await bareRepo(join(root, "demo.git"));
      const secret = join(root, "git-secret");
      await mkdir(secret);
      await writeFile(join(secret, "token"), TOKEN, { mode: 0o440 });
      const pod = await podFor("demo-task", {
        AGENTYARD_REPO_URL: git.url("demo.git"),
        AGENTYARD_REPO_BRANCH: "main",
        AGENTYARD_GIT_CREDENTIALS: secret,
        AGENTYARD_EDITOR_URL: `http://127.0.0.1:${(editor.address() as AddressInfo).port}`,
        // The demo agent, then a hand-shake so the test can look at every process while the command runs.
        AGENTYARD_COMMAND: JSON.stringify([
          "sh",
          "-c",
          'agentyard-demo-agent && until [ -e "$AGENTYARD_STATE_DIR/go" ]; do sleep 0.05; done',
        ]),
      });
      const runtime = startRuntime(pod.env);
      await waitForFile(join(pod.stateDir, "started"));
      await waitFor("startedAt to be reported", async () =>
        (await pod.state()).startedAt ? true : undefined,
      );
      snapshots.push(await processSnapshot());
      await writeFile(join(pod.stateDir, "go"), "");

      const data = await pod.finished();
      const state = parseAgentState(data, 1);
      expect(state).toMatchObject({
        exitCode: 0,
        message: expect.stringMatching(/^pushed agentyard\/demo-task at /),
      });
      expect(state?.logTail).toBe("demo agent: wrote tasks/demo-task.md\n");
      const lastPR = LastPRArtifactSchema.parse(
        JSON.parse(await readFile(join(pod.stateDir, "last_pr.json"), "utf8")),
      );
      expect(state?.lastPR).toEqual(lastPR);
      expect(lastPR).toMatchObject({
        repo: git.url("demo.git"),
        branch: "agentyard/demo-task",
        title: "Write down task demo-task",
      });
      expect(await branchCommit(origin, "agentyard/demo-task")).toBe(lastPR.commit);
      expect(await gitIn(origin, ["show", "agentyard/demo-task:tasks/demo-task.md"])).toBe(
        "# demo-task\n\nWrite down task demo-task\n\nKeep it short.\n",
      );

      // The editor's heartbeat becomes editorActivityAt.
      await waitFor("the editor's activity to be reported", async () =>
        (await pod.state()).editorActivityAt === new Date(heartbeat).toISOString() ? true : undefined,
      );

      runtime.child.kill("SIGTERM");
      expect(await runtime.exited).toBe(0);

      expect(snapshots.length).toBeGreaterThan(3);
      for (const snapshot of snapshots) expect(leaks(snapshot, TOKEN)).toEqual([]);
      expect(runtime.output()).toContain("demo agent: wrote tasks/demo-task.md\n");
      expect(runtime.output()).not.toContain(TOKEN);
      expect(JSON.stringify(await pod.state())).not.toContain(TOKEN);

      // A restarted container finds its attempt finished and does not run it again.
      const again = startRuntime(pod.env);
      await waitFor("the restarted runtime to notice", async () =>
        again.output().includes("this attempt already finished") ? true : undefined,
      );
      again.child.kill("SIGTERM");
      expect(await again.exited).toBe(0);
      expect(await branchCommit(origin, "agentyard/demo-task")).toBe(lastPR.commit);
    } finally {
      editor.close();
      await git.close();
    }
  });

  it("keeps a secret-bearing remote URL out of its logs, reports, artifacts and every other process", async () => {
    const snapshots: ProcessInfo[][] = [];
    const git = await gitHttpServer(root, {
      username: "robot",
      password: TOKEN,
      onRequest: async () => {
        snapshots.push(await processSnapshot());
      },
    });
    try {
      await bareRepo(join(root, "url.git"));
      const pod = await podFor("url-task", {
        AGENTYARD_REPO_URL: git.url("url.git").replace("http://", `http://robot:${TOKEN}@`),
        AGENTYARD_REPO_BRANCH: "main",
        AGENTYARD_COMMAND: JSON.stringify([
          "sh",
          "-c",
          'echo more >> README.md; echo "repo: $AGENTYARD_REPO_URL"',
        ]),
      });
      const runtime = startRuntime(pod.env);
      const state = parseAgentState(await pod.finished(), 1);
      runtime.child.kill("SIGTERM");
      expect(await runtime.exited).toBe(0);

      expect(state).toMatchObject({ exitCode: 0, lastPR: { repo: git.url("url.git") } });
      expect(state?.logTail).toBe(`repo: ${git.url("url.git")}\n`);
      // The runtime's own environment holds the URL as the pod spec gave it; no child may.
      expect(snapshots.length).toBeGreaterThan(2);
      for (const snapshot of snapshots)
        expect(leaks(snapshot, TOKEN, [runtime.child.pid as number])).toEqual([]);
      expect(runtime.output()).not.toContain(TOKEN);
      expect(JSON.stringify(await pod.state())).not.toContain(TOKEN);
      expect(await readFile(join(pod.stateDir, "last_pr.json"), "utf8")).not.toContain(TOKEN);
    } finally {
      await git.close();
    }
  });

  it("reports a failing command's exit code and log tail", async () => {
    await bareRepo(join(root, "fail.git"));
    const pod = await podFor("fail-task", {
      AGENTYARD_REPO_URL: join(root, "fail.git"),
      AGENTYARD_COMMAND: JSON.stringify(["sh", "-c", "echo trying; echo 'tests failed' >&2; exit 4"]),
    });
    const runtime = startRuntime(pod.env);
    const state = parseAgentState(await pod.finished(), 1);
    runtime.child.kill("SIGTERM");
    expect(await runtime.exited).toBe(0);
    expect(state).toMatchObject({
      exitCode: 4,
      message: "the command exited with code 4; nothing was pushed",
    });
    expect(state?.logTail).toContain("trying\n");
    expect(state?.logTail).toContain("tests failed\n");
    expect(state?.lastPR).toBeUndefined();
  });

  it("on SIGTERM kills the command's whole process group and reports why", async () => {
    await bareRepo(join(root, "cancel.git"));
    const pod = await podFor("cancel-task", {
      AGENTYARD_REPO_URL: join(root, "cancel.git"),
      AGENTYARD_COMMAND: JSON.stringify([
        "sh",
        "-c",
        'sleep 600 & echo $! > "$AGENTYARD_STATE_DIR/pids"; sh -c "sleep 600" & echo $! >> "$AGENTYARD_STATE_DIR/pids"; echo $$ >> "$AGENTYARD_STATE_DIR/pids"; touch "$AGENTYARD_STATE_DIR/pids.done"; wait',
      ]),
    });
    const runtime = startRuntime(pod.env);
    await waitForFile(join(pod.stateDir, "pids.done"));
    const pids = (await readFile(join(pod.stateDir, "pids"), "utf8")).trim().split("\n").map(Number);
    expect(pids).toHaveLength(3);
    runtime.child.kill("SIGTERM");
    expect(await runtime.exited).toBe(0);
    for (const pid of pids) {
      const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
      expect(status === "" || /^State:\s+Z/m.test(status), `process ${pid} is gone`).toBe(true);
    }
    const state = parseAgentState(await pod.state(), 1);
    expect(state).toMatchObject({ exitCode: 143, message: expect.stringContaining("received SIGTERM") });
    expect(state?.finishedAt).toBeDefined();
  });
});
