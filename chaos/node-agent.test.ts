import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
 * A pre-receive hook that, while `hold` exists, finds the pushing git container (the runtime run as
 * `main.ts git`) among its ancestors, says its pid and holds the push until that process dies (then
 * refuses it) or `hold` is removed (then lets it land).
 */
function holdingHook(dir: string): string {
  return `#!/bin/sh
[ -f "${dir}/hold" ] || exit 0
pid=$$
while [ "$pid" -gt 1 ]; do
  if tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -q 'agent-image/main.ts git'; then break; fi
  pid=$(sed 's/^.*) //' /proc/$pid/stat | cut -d' ' -f2)
done
[ "$pid" -gt 1 ] || exit 0
echo "$pid" > "${dir}/pushing.tmp" && mv "${dir}/pushing.tmp" "${dir}/pushing"
while [ -f "${dir}/hold" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
[ -f "${dir}/hold" ] && exit 1
exit 0
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
/** What the agent's restarted container says when it finds the mark of its killed run. */
const RESTARTED = "did the agent container restart mid-task?";

/** Whether `pid` is the git container's process: the pid the hook wrote may have ended since. */
async function isGitContainer(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.includes("agent-image/main.ts\0git");
}

/** The agent container's process of `task` (its runtime, not the git container beside it), if running. */
async function agentProcess(task: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (!cmdline.includes("agent-image/main.ts") || cmdline.includes("agent-image/main.ts\0git")) continue;
    const environ = await readFile(`/proc/${entry}/environ`, "utf8").catch(() => "");
    if (environ.split("\0").includes(`AGENTYARD_TASK=${task}`)) return Number(entry);
  }
  return undefined;
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
        // The hook names the git container that pushes; the agent beside it waits for the answer.
        const target = (await isGitContainer(pid)) ? await agentProcess(task) : undefined;
        await rm(pushing, { force: true });
        if (target !== undefined) {
          process.kill(target, "SIGKILL");
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

describe("an agent process killed while its git container pushes", () => {
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

describe("a git container killed mid-push", () => {
  it("is restarted and pushes again, and the attempt Succeeds without a retry", async () => {
    const task = "git-killed";
    await writeFile(hold, "");
    await applyManifest(cluster, taskManifest(task, NS, { org: "demo", prompt: "x", retries: 0 }));
    const heldPush = (what: string) =>
      waitFor(
        what,
        async () => {
          if (!existsSync(pushing)) return undefined;
          const pid = Number((await readFile(pushing, "utf8")).trim());
          await rm(pushing, { force: true });
          return pid;
        },
        { timeoutMs: 120_000, intervalMs: 100 },
      );
    const first = await heldPush("the git container's push to be held");
    expect(await isGitContainer(first)).toBe(true);
    process.kill(first, "SIGKILL");
    const second = await heldPush("the restarted git container's push to be held");
    expect(second).not.toBe(first);
    await rm(hold, { force: true });
    const done = await waitForTask(cluster, NS, task, "to end", terminal, 120_000);
    summary("git container killed mid-push, retries: 0", {
      tasks: 1,
      phase: done.status?.phase ?? "",
      attempts: done.status?.attempts ?? 0,
    });
    expect(done.status?.phase, done.status?.message).toBe("Succeeded");
    expect(done.status?.attempts).toBe(1);
    expect(await branchCommit(origin, `agentyard/${task}`)).toBe(done.status?.artifacts?.lastPR?.commit);
  });
});
