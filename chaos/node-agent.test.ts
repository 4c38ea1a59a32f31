import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { Component } from "../devcluster/component.ts";
import { bareRepo, branchCommit } from "../devcluster/git.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import type { RunningOperator } from "../operator/main.ts";
import { taskManifest } from "../schema/fixtures.test-support.ts";
import type { AgentTask } from "../schema/index.ts";
import { applyDemoOrgWithoutEditor } from "../test/support/local-agents.ts";
import {
  applyManifest,
  clusterWithCrds,
  getTask,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "../test/support/operator.ts";
import { seconds, summary } from "./support/chaos.ts";

/**
 * Real agents on the node agent (the agent runtime as local processes, pushing to a bare repository
 * on disk), and two faults: the node agent SIGKILLed while a task's command runs, and the agent
 * process SIGKILLed while its push is held in the repository's pre-receive hook.
 */

let cluster: DevCluster;
let operator: RunningOperator;
let nodeAgent: Component;
let work: string;
let origin: string;
/** The hook holds pushes while this file exists and writes the pushing agent's pid to `pushing`. */
let hold: string;
let pushing: string;

const NS = "org-demo";

/**
 * A pre-receive hook that, while `hold` exists, finds the agent runtime among its ancestors, says
 * its pid and waits for it to die, then refuses the push: the push never completes.
 */
function holdingHook(dir: string): string {
  return `#!/bin/sh
[ -f "${dir}/hold" ] || exit 0
pid=$$
while [ "$pid" -gt 1 ]; do
  if tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -q 'agent-image/main.ts'; then break; fi
  pid=$(sed 's/^.*) //' /proc/$pid/stat | cut -d' ' -f2)
done
[ "$pid" -gt 1 ] || exit 0
echo "$pid" > "${dir}/pushing.tmp" && mv "${dir}/pushing.tmp" "${dir}/pushing"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
exit 1
`;
}

function startNodeAgentProcess(): Component {
  const c = new Component(
    "node-agent",
    process.execPath,
    [
      join(projectRoot, "chaos", "support", "node-agent-main.ts"),
      cluster.kubeconfigPath(),
      join(work, "node"),
    ],
    join(cluster.dir, "logs", "node-agent.log"),
  );
  c.start();
  return c;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "agentyard-chaos-agent-"));
  hold = join(work, "hold");
  pushing = join(work, "pushing");
  origin = await bareRepo(join(work, "origin.git"), { "README.md": "# chaos\n" });
  const hook = join(origin, "hooks", "pre-receive");
  await writeFile(hook, holdingHook(work));
  await chmod(hook, 0o755);
  cluster = await clusterWithCrds("chaos-agent");
  operator = await startTestOperator(cluster);
  nodeAgent = startNodeAgentProcess();
  await applyDemoOrgWithoutEditor(cluster, origin);
});

afterAll(async () => {
  await nodeAgent?.stop();
  await operator?.stop();
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const terminal = phaseIs("Succeeded", "Failed", "TimedOut", "Cancelled");
/** What the agent's restarted container says when it finds the workspace of its killed run. */
const RESTARTED = "did the agent container restart mid-task?";

/** Whether `pid` is an agent runtime process: the pid the hook wrote may have ended since. */
async function isAgent(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.includes("agent-image/main.ts");
}

/**
 * Waits until `until` holds for the task, SIGKILLing the agent of every push the hook holds
 * meanwhile, and noting every message the task's status shows. Returns the kills and the messages.
 */
async function killPushes(
  task: string,
  until: (t: AgentTask) => boolean,
): Promise<{ kills: number; messages: string[]; last: AgentTask }> {
  let kills = 0;
  const messages: string[] = [];
  const last = await waitFor(
    `${task} to get there, its pushes killed`,
    async () => {
      if (existsSync(pushing)) {
        const pid = Number((await readFile(pushing, "utf8")).trim());
        await rm(pushing, { force: true });
        if (await isAgent(pid)) {
          process.kill(pid, "SIGKILL");
          kills++;
        }
      }
      const t = await getTask(cluster, NS, task);
      const message = t?.status?.message;
      if (message && messages.at(-1) !== message) messages.push(message);
      return t && until(t) ? t : undefined;
    },
    { timeoutMs: 240_000, intervalMs: 100 },
  );
  return { kills, messages, last };
}

describe("the node agent killed mid-task", () => {
  it("fails the attempt with the reason in status, and the task is retried as its spec says", async () => {
    const started = join(work, "started");
    const task = "agent-restart";
    await applyManifest(
      cluster,
      taskManifest(task, NS, {
        org: "demo",
        prompt: "x",
        retries: 1,
        command: ["sh", "-c", `touch ${started}; sleep 3; echo done > chaos.txt`],
      }),
    );
    await waitFor("the task's command to run", async () => (existsSync(started) ? true : undefined), {
      timeoutMs: 120_000,
    });
    await nodeAgent.kill("SIGKILL");
    const killed = performance.now();
    await rm(started);
    nodeAgent = startNodeAgentProcess();
    const { messages, last } = await killPushes(task, terminal);
    summary("node agent SIGKILL mid-task, retries: 1", {
      tasks: 1,
      phase: last.status?.phase ?? "",
      attempts: last.status?.attempts ?? 0,
      endedIn: seconds(performance.now() - killed),
      messages: JSON.stringify(messages),
    });
    expect(messages.some((m) => m.includes("attempt 1 failed") && m.includes(RESTARTED))).toBe(true);
    expect(last.status?.phase).toBe("Succeeded");
    expect(last.status?.attempts).toBe(2);
    expect(await branchCommit(origin, `agentyard/${task}`)).toBe(last.status?.artifacts?.lastPR?.commit);
  });
});

describe("an agent process killed mid-push", () => {
  afterAll(async () => rm(hold, { force: true }));

  it("fails the task with the reason in status when its spec allows no retry", async () => {
    const task = "push-killed";
    await writeFile(hold, "");
    await applyManifest(cluster, taskManifest(task, NS, { org: "demo", prompt: "x", retries: 0 }));
    const { kills, last } = await killPushes(task, terminal);
    summary("agent killed mid-push, retries: 0", {
      tasks: 1,
      kills,
      phase: last.status?.phase ?? "",
      attempts: last.status?.attempts ?? 0,
      message: JSON.stringify(last.status?.message ?? ""),
    });
    expect(kills).toBeGreaterThan(0);
    expect(last.status?.phase).toBe("Failed");
    expect(last.status?.attempts).toBe(1);
    expect(last.status?.message).toContain(RESTARTED);
    expect(await branchCommit(origin, `agentyard/${task}`)).toBeUndefined();
  });

  it("retries the task as its spec says, and the next attempt pushes", async () => {
    const task = "push-retried";
    await writeFile(hold, "");
    await applyManifest(cluster, taskManifest(task, NS, { org: "demo", prompt: "x", retries: 1 }));
    const first = await killPushes(task, (t) => (t.status?.attempts ?? 0) >= 2 || terminal(t));
    await rm(hold, { force: true });
    const done = await waitForTask(cluster, NS, task, "to end", terminal, 120_000);
    summary("agent killed mid-push, retries: 1", {
      tasks: 1,
      kills: first.kills,
      phase: done.status?.phase ?? "",
      attempts: done.status?.attempts ?? 0,
      messages: JSON.stringify(first.messages),
    });
    expect(first.kills).toBeGreaterThan(0);
    expect(first.messages.some((m) => m.includes(RESTARTED))).toBe(true);
    expect(done.status?.phase).toBe("Succeeded");
    expect(done.status?.attempts).toBe(2);
    expect(await branchCommit(origin, `agentyard/${task}`)).toBe(done.status?.artifacts?.lastPR?.commit);
  });
});
