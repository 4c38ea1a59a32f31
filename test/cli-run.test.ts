import { execFile } from "node:child_process";
import { join } from "node:path";
import { silentLogger } from "@agentyard/kube-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApi, startApi } from "../api/server.ts";
import type { DevCluster } from "../devcluster/cluster.ts";
import { branchCommit } from "../devcluster/git.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import { LABEL_TASK } from "../schema/contract/index.ts";
import { type LocalAgents, startLocalAgents } from "./support/local-agents.ts";
import { phaseIs, waitForTask } from "./support/operator.ts";

let world: LocalAgents;
let cluster: DevCluster;
let origin: string;
let api: RunningApi;

beforeAll(async () => {
  world = await startLocalAgents("cli-run");
  ({ cluster, origin } = world);
  api = await startApi({
    kubeconfig: cluster.kubeconfigPath(),
    listen: "127.0.0.1:0",
    auth: "none",
    log: silentLogger(),
  });
});

afterAll(async () => {
  await api?.close();
  await world?.stop();
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const CLI = join(projectRoot, "cli", "agentyard.ts");
/** The environment of a person's shell: none of the CLI's own variables leak in from the suite. */
const userEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AGENTYARD_")));

/** `agentyard <args>` as a separate process, its output piped. */
function agentyard(args: string[], timeout = 120_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: userEnv(), timeout }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const shellQuote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** The same on a pseudo-terminal (util-linux `script`) of 40 rows, as a person at a terminal runs it. */
function agentyardOnTerminal(args: string[], timeout = 120_000): Promise<Ran> {
  const command = `stty rows 40 cols 120; ${[process.execPath, CLI, ...args].map(shellQuote).join(" ")}`;
  return new Promise((resolve) => {
    execFile(
      "script",
      ["--quiet", "--return", "--command", command, "/dev/null"],
      { env: { ...userEnv(), TERM: "xterm-256color" }, timeout },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Deletes a task and waits until its pods are gone: the local node has as many CPUs as this machine,
 * and the suite's later tasks need the room.
 */
async function removeTask(name: string): Promise<void> {
  const deleted = await cluster.kubectl([
    "delete",
    "agenttask",
    name,
    "-n",
    "org-demo",
    "--wait=true",
    "--timeout=120s",
  ]);
  expect(deleted.code, deleted.stderr).toBe(0);
  await waitFor(
    `the pods of ${name} to go`,
    async () => {
      const pods = await cluster.kubectl([
        "get",
        "pods",
        "-n",
        "org-demo",
        "-l",
        `${LABEL_TASK}=${name}`,
        "-o",
        "name",
      ]);
      return pods.code === 0 && pods.stdout.trim() === "" ? true : undefined;
    },
    { timeoutMs: 120_000 },
  );
}

const scheduledName = (stdout: string) => /scheduled org-demo\/(\S+) for Org demo/.exec(stdout)?.[1] ?? "";

describe("agentyard run", () => {
  it("schedules through the api, follows the task with plain lines when piped, and exits 0 when it Succeeded", async () => {
    const ran = await agentyard(["run", "--api", api.url, "--org", "demo", "Add a greeting"], 90_000);
    expect(ran.code, ran.stderr).toBe(0);
    const name = scheduledName(ran.stdout);
    expect(name).not.toBe("");
    expect(ran.stdout).toMatch(/^\[\d+s\] phase Succeeded/m);
    expect(ran.stdout).toContain(`org-demo/${name} Succeeded`);
    const commit = (await branchCommit(origin, `agentyard/${name}`)) ?? "";
    expect(ran.stdout).toContain(`branch: agentyard/${name} at ${commit.slice(0, 12)}`);
    // A pipe gets lines, never the escape sequences that redraw a terminal.
    expect(ran.stdout).not.toContain("\u001b[");
  });

  it("exits non-zero with the agent's log tail when the task fails, on a terminal too", async () => {
    const ran = await agentyardOnTerminal([
      "run",
      "--api",
      api.url,
      "--org",
      "demo",
      "--command",
      "sh -c 'echo the-agent-gave-up >&2; exit 3'",
      "Fail on purpose",
    ]);
    expect(ran.code, ran.stdout).toBe(1);
    const name = scheduledName(ran.stdout);
    expect(ran.stdout).toContain(`org-demo/${name} Failed`);
    expect(ran.stdout).toContain("the-agent-gave-up");
    // On a terminal the block is redrawn in place.
    const ESC = String.fromCharCode(27);
    expect(ran.stdout.includes(`${ESC}[2K`) || ran.stdout.includes(`${ESC}[1A`)).toBe(true);
  });

  it("exits 0 on a terminal for a task that Succeeded, and 1 when piped for one that Failed", async () => {
    const succeeded = await agentyardOnTerminal(["run", "--api", api.url, "--org", "demo", "Add a welcome"]);
    expect(succeeded.code, succeeded.stdout).toBe(0);
    expect(succeeded.stdout).toContain(`org-demo/${scheduledName(succeeded.stdout)} Succeeded`);
    await removeTask(scheduledName(succeeded.stdout));
    const failed = await agentyard([
      "run",
      "--api",
      api.url,
      "--org",
      "demo",
      "--command",
      "sh -c 'echo piped-failure >&2; exit 4'",
      "Fail when piped",
    ]);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toContain(`org-demo/${scheduledName(failed.stdout)} Failed`);
    expect(failed.stdout).toContain("piped-failure");
    await removeTask(scheduledName(failed.stdout));
  });

  it("puts --repo, --branch, --timeout and --retries into the task it schedules", async () => {
    const ran = await agentyard([
      "run",
      "--api",
      api.url,
      "--org",
      "demo",
      "--repo",
      `file://${origin}`,
      "--branch",
      "main",
      "--timeout",
      "7m",
      "--retries",
      "2",
      "--detach",
      "Start from main",
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    const task = await waitForTask(cluster, "org-demo", scheduledName(ran.stdout), "to exist", () => true);
    expect(task.spec).toMatchObject({
      repo: { url: `file://${origin}`, branch: "main" },
      timeout: "7m",
      retries: 2,
    });
    await removeTask(task.metadata.name as string);
  });

  it("sends --token to an api that authenticates, and says the api's 401 without one", async () => {
    const authenticating = await startApi({
      kubeconfig: cluster.kubeconfigPath(),
      listen: "127.0.0.1:0",
      auth: "token",
      log: silentLogger(),
    });
    try {
      const listed = await agentyard([
        "tasks",
        "--api",
        authenticating.url,
        "--token",
        cluster.token("admin"),
      ]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(/^NAMESPACE\s+NAME\s+ORG\s+PHASE/);
      const anonymous = await agentyard(["tasks", "--api", authenticating.url]);
      expect(anonymous.code).toBe(2);
      expect(anonymous.stderr).toMatch(/^agentyard: 401 /);
    } finally {
      await authenticating.close();
    }
  });

  it("goes straight to the cluster with --kubeconfig, no api served", async () => {
    const ran = await agentyard([
      "run",
      "--kubeconfig",
      cluster.kubeconfigPath(),
      "--org",
      "demo",
      "Add a farewell",
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    const name = scheduledName(ran.stdout);
    expect(ran.stdout).toContain(`org-demo/${name} Succeeded`);
    const listed = await agentyard(["tasks", "--kubeconfig", cluster.kubeconfigPath(), "--org", "demo"]);
    expect(listed.stdout).toMatch(new RegExp(`^org-demo\\s+${name}\\s+demo\\s+Succeeded`, "m"));
  });

  it("says the api's refusal in one line and exits 2", async () => {
    const ran = await agentyard(["run", "--api", api.url, "--org", "no-such-org", "Anything"]);
    expect(ran.code).toBe(2);
    expect(ran.stderr.trim().split("\n")).toHaveLength(1);
    expect(ran.stderr).toMatch(/^agentyard: 4\d\d .*no-such-org/);
    const unreachable = await agentyard(["tasks", "--api", "http://127.0.0.1:1"]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/^agentyard: the api at http:\/\/127\.0\.0\.1:1 did not answer/);
  });

  it("lists, tails, cancels and opens tasks by name", async () => {
    const detached = await agentyard([
      "run",
      "--api",
      api.url,
      "--org",
      "demo",
      "--detach",
      "--command",
      "sh -c 'echo waiting-for-cancel; sleep 600'",
      "Wait until cancelled",
    ]);
    expect(detached.code, detached.stderr).toBe(0);
    const name = scheduledName(detached.stdout);
    await waitForTask(cluster, "org-demo", name, "to run", phaseIs("Running"), 90_000);

    const listed = await agentyard(["tasks", "--api", api.url, "--org", "demo", "--phase", "Running"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^org-demo\\s+${name}\\s+demo\\s+Running`, "m"));

    const opened = await agentyard(["open", "--api", api.url, name]);
    expect(opened.code).toBe(2);
    expect(opened.stderr).toContain("has no editor");

    const cancelled = await agentyard(["cancel", "--api", api.url, name]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`cancelling org-demo/${name}`);
    const followed = await agentyard(["logs", "--api", api.url, "-f", name]);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toContain("waiting-for-cancel");
    const done = await waitForTask(
      cluster,
      "org-demo",
      name,
      "to be cancelled",
      phaseIs("Cancelled"),
      60_000,
    );
    expect(done.status?.phase).toBe("Cancelled");
  });
});
