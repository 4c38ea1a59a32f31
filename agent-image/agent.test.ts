import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import { LastPRArtifactSchema } from "../schema/artifact.ts";
import {
  bareRepo,
  branchCommit,
  gitHttpServer,
  gitIn,
  type ProcessInfo,
  processSnapshot,
} from "../test/support/git.ts";
import { type AgentOptions, NO_COMMAND, runTask } from "./agent.ts";

let dir: string;
let output: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentyard-agent-"));
  output = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Options as the operator would give them, with a fresh workspace and state directory. */
async function options(overrides: Partial<AgentOptions> = {}): Promise<AgentOptions> {
  // One origin per test folder: a second bareRepo on it would seed another main, which the push of
  // the first main's clone could not fast-forward (unless both seeds fell in the same second).
  const originPath = join(dir, "origin.git");
  const origin = (await exists(join(originPath, "HEAD"))) ? originPath : await bareRepo(originPath);
  const capture = (t: string) => {
    output.push(t);
  };
  return {
    task: "fix-readme",
    org: "acme",
    namespace: "org-acme",
    attempt: 1,
    prompt: "Fix the README\n\nIt should say hello.",
    stateDir: join(dir, "state"),
    workspace: join(dir, "workspace"),
    repo: { url: origin, branch: "main" },
    env: { PATH: process.env.PATH },
    stdout: capture,
    stderr: capture,
    log: pino({ level: "info" }, { write: capture }),
    killGraceMs: 2_000,
    ...overrides,
  };
}

const sh = (script: string) => ["sh", "-c", script];
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

// Each test runs real git several times: seconds on a loaded machine.
describe("runTask with a repository on disk", { timeout: 60_000 }, () => {
  it("commits what the command changed on agentyard/<task>, pushes it and writes last_pr.json", async () => {
    const opts = await options({
      command: sh('echo hello >> README.md && echo "$AGENTYARD_PROMPT" > prompt-copy.txt'),
    });
    const state = await runTask(opts);

    expect(state).toMatchObject({
      attempt: 1,
      exitCode: 0,
      message: expect.stringMatching(/^pushed agentyard\/fix-readme at/),
    });
    const origin = (opts.repo as { url: string }).url;
    const pushed = await branchCommit(origin, "agentyard/fix-readme");
    expect(pushed).toBe(state.lastPR?.commit);
    expect(await gitIn(origin, ["show", `${pushed}:README.md`])).toBe("# demo\nhello\n");
    expect(await gitIn(origin, ["show", `${pushed}:prompt-copy.txt`])).toBe(`${opts.prompt}\n`);
    expect(await gitIn(origin, ["log", "-1", "--format=%an <%ae>%n%B", pushed as string])).toBe(
      "agentyard <agentyard@localhost>\nFix the README\n\nFix the README\n\nIt should say hello.\n\nAgentyard-Org: acme\nAgentyard-Task: fix-readme\nAgentyard-Attempt: 1\n\n",
    );
    // The base branch is untouched.
    expect(await gitIn(origin, ["rev-list", "--count", "main"])).toBe("1\n");

    const artifact = LastPRArtifactSchema.parse(
      JSON.parse(await readFile(join(opts.stateDir, "last_pr.json"), "utf8")),
    );
    expect(artifact).toEqual(state.lastPR);
    expect(artifact).toMatchObject({
      task: "fix-readme",
      org: "acme",
      repo: origin,
      baseBranch: "main",
      branch: "agentyard/fix-readme",
      title: "Fix the README",
      diffstat: { files: 2, insertions: 4, deletions: 0 },
      exitCode: 0,
    });
    expect(artifact.url).toBeUndefined();
    expect(artifact.summary).toContain("README.md");
    expect(await readFile(join(opts.stateDir, "prompt.txt"), "utf8")).toBe(opts.prompt);
    expect(await exists(join(opts.stateDir, "started"))).toBe(true);
    // Nothing of the runtime's git (HOME, clone and push repositories, ssh key) is left behind: only
    // the artifact, the prompt, the readiness file and the mark that tells a restarted container.
    expect((await readdir(opts.stateDir)).sort()).toEqual(["began", "last_pr.json", "prompt.txt", "started"]);
  });

  it("pushes commits the command made itself", async () => {
    const opts = await options({
      command: sh(
        "echo x > new.txt && git add new.txt && git -c user.name=bot -c user.email=bot@x commit -qm 'by the agent'",
      ),
    });
    const state = await runTask(opts);
    expect(state.exitCode).toBe(0);
    expect(state.lastPR?.diffstat).toEqual({ files: 1, insertions: 1, deletions: 0 });
    expect(
      await gitIn((opts.repo as { url: string }).url, ["log", "-1", "--format=%s", "agentyard/fix-readme"]),
    ).toBe("by the agent\n");
  });

  it("reports no PR when the command changes nothing", async () => {
    const opts = await options({
      command: sh("echo looked around; touch ignored.log; echo '*.log' > .git/info/exclude"),
    });
    const state = await runTask(opts);
    expect(state).toMatchObject({ exitCode: 0, message: expect.stringContaining("changed nothing") });
    expect(state.lastPR).toBeUndefined();
    expect(state.logTail).toBe("looked around\n");
    expect(await branchCommit((opts.repo as { url: string }).url, "agentyard/fix-readme")).toBeUndefined();
    expect(await exists(join(opts.stateDir, "last_pr.json"))).toBe(false);
  });

  it("reports a failing command's exit code and output, and pushes nothing", async () => {
    const opts = await options({
      command: sh("echo working; echo broken >&2; echo x > half-done.txt; exit 3"),
    });
    const state = await runTask(opts);
    expect(state).toMatchObject({
      exitCode: 3,
      message: "the command exited with code 3; nothing was pushed",
    });
    expect(state.logTail).toContain("working\n");
    expect(state.logTail).toContain("broken\n");
    expect(state.finishedAt).toBeDefined();
    expect(state.lastPR).toBeUndefined();
    expect(await branchCommit((opts.repo as { url: string }).url, "agentyard/fix-readme")).toBeUndefined();
    expect(output.join("")).toContain("broken\n");
  });

  it("keeps only the last MAX_LOG_TAIL_BYTES of output in the tail", async () => {
    const opts = await options({
      command: sh("i=0; while [ $i -lt 3000 ]; do echo line-$i-padding-padding; i=$((i+1)); done; exit 1"),
    });
    const state = await runTask(opts);
    expect(Buffer.byteLength(state.logTail ?? "")).toBeLessThanOrEqual(16_384);
    expect(state.logTail).toMatch(/line-2999-padding-padding\n$/);
    expect(state.logTail).not.toContain("line-0-");
  });

  it("fails clearly without a command, and without a program to run", async () => {
    expect(await runTask(await options())).toMatchObject({ exitCode: 1, message: NO_COMMAND });
    await rm(dir, { recursive: true, force: true });
    const state = await runTask(await options({ command: ["no-such-agent-cli", "--go"] }));
    expect(state).toMatchObject({
      exitCode: 127,
      message: expect.stringContaining("cannot run no-such-agent-cli"),
    });
  });

  it("fails with git's reason when the branch cannot be cloned, before anything is started", async () => {
    const opts = await options({ command: ["true"] });
    const state = await runTask({
      ...opts,
      repo: { url: (opts.repo as { url: string }).url, branch: "nope" },
    });
    expect(state.exitCode).toBe(1);
    expect(state.message).toMatch(/could not clone .*origin\.git \(branch nope\): git clone failed .*nope/s);
    expect(state.startedAt).toBeUndefined();
    expect(await exists(join(opts.stateDir, "started"))).toBe(false);
  });

  it("does not clone over a workspace that is not empty", async () => {
    const opts = await options({ command: ["true"] });
    await mkdir(opts.workspace, { recursive: true });
    await writeFile(join(opts.workspace, "leftover"), "");
    const state = await runTask(opts);
    expect(state).toMatchObject({ exitCode: 1, message: expect.stringContaining("is not empty") });
  });

  it("replaces the branch of an earlier attempt that ran in a workspace of its own", async () => {
    const first = await options({ command: sh("echo one > out.txt") });
    await runTask(first);
    const second = await runTask({
      ...first,
      attempt: 2,
      stateDir: join(dir, "state-2"),
      workspace: join(dir, "workspace-2"),
      command: sh("echo two > out.txt"),
    });
    const origin = (first.repo as { url: string }).url;
    expect(await branchCommit(origin, "agentyard/fix-readme")).toBe(second.lastPR?.commit);
    expect(await gitIn(origin, ["show", "agentyard/fix-readme:out.txt"])).toBe("two\n");
  });

  it("runs a task without a repository in the workspace", async () => {
    const opts = await options({ command: sh('pwd; cat "$AGENTYARD_PROMPT_FILE"'), repo: undefined });
    delete opts.repo;
    const state = await runTask(opts);
    expect(state).toMatchObject({ exitCode: 0, logTail: `${opts.workspace}\n${opts.prompt}` });
  });
});

describe("a preset's command line", () => {
  it("gets the prompt as its last argument, verbatim: no shell reads it", async () => {
    const prompt = "--help $(touch pwned) `touch pwned` $HOME 'single' \"double\"\nsecond line\n\tand a tab";
    // The program prints its argv as JSON; a preset's command line ends with "--" before the prompt.
    const printArgv = [
      process.execPath,
      "-e",
      "process.stdout.write(JSON.stringify(process.argv.slice(1)))",
      "--",
    ];
    for (const [promptArgument, expected] of [
      ["{prompt}", prompt],
      // A CLI whose prompt is an option's value: one entry, `-` at its start and all.
      ["--prompt={prompt}", `--prompt=${prompt}`],
    ]) {
      const opts = await options({ command: printArgv, promptArgument, prompt, repo: undefined });
      delete opts.repo;
      const state = await runTask(opts);
      expect(state.exitCode, state.message).toBe(0);
      expect(JSON.parse(state.logTail ?? "")).toEqual([expected]);
      expect(await exists(join(opts.workspace, "pwned"))).toBe(false);
    }
  });

  it("finds the preset's files in its HOME when it starts", async () => {
    const opts = await options({
      command: sh('cat "$HOME/.cli/settings.json"'),
      homeFiles: { ".cli/settings.json": '{"auth":"key"}\n' },
      repo: undefined,
    });
    delete opts.repo;
    opts.env = { ...opts.env, HOME: join(opts.stateDir, "home") };
    const state = await runTask(opts);
    expect(state.exitCode, state.message).toBe(0);
    expect(state.logTail).toBe('{"auth":"key"}\n');
  });
});

describe("runTask stopped by SIGTERM", { timeout: 60_000 }, () => {
  it("kills the command's whole process group, grandchildren included, and says why", async () => {
    const controller = new AbortController();
    const opts = await options({
      signal: controller.signal,
      // The grandchild ignores SIGTERM: only the SIGKILL after the grace ends it.
      command: sh(
        `(trap '' TERM; exec sleep 300) & echo $! > "$AGENTYARD_PROMPT_FILE.pids"; sleep 300 & echo $! >> "$AGENTYARD_PROMPT_FILE.pids"; echo $$ >> "$AGENTYARD_PROMPT_FILE.pids"; wait`,
      ),
    });
    const running = runTask(opts);
    const pidFile = join(opts.stateDir, "prompt.txt.pids");
    const pids = await waitFor(
      "the command to write its process ids",
      async () => {
        const found = (await readFile(pidFile, "utf8").catch(() => ""))
          .split("\n")
          .filter(Boolean)
          .map(Number);
        return found.length === 3 ? found : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    controller.abort("SIGTERM");
    const state = await running;
    expect(state.exitCode).toBe(143);
    expect(state.message).toMatch(/SIGTERM .* killed the command's process group/);
    expect(state.stopped).toBe(true);
    expect(state.lastPR).toBeUndefined();
    for (const pid of pids) expect(await alive(pid), `process ${pid}`).toBe(false);
  });
});

/** Whether a process is still running (a zombie waiting for its parent counts as gone). */
async function alive(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return status !== "" && !/^State:\s+Z/m.test(status);
}

describe("runTask with credentials", { timeout: 60_000 }, () => {
  const token = "s3cr3t-token-for-the-test";

  function leaks(processes: ProcessInfo[], secret: string) {
    return processes.filter((p) => p.cmdline.includes(secret) || p.environ.includes(secret));
  }

  it("clones and pushes over https with the Secret's token, which shows in no log, artifact or process", async () => {
    const snapshots: ProcessInfo[][] = [];
    const server = await gitHttpServer(dir, {
      username: "x-access-token",
      password: token,
      onRequest: async () => {
        snapshots.push(await processSnapshot());
      },
    });
    try {
      await bareRepo(join(dir, "private.git"));
      const secret = join(dir, "secret");
      await mkdir(secret);
      await writeFile(join(secret, "token"), `${token}\n`);
      await chmod(join(secret, "token"), 0o440);
      const opts = await options({
        repo: { url: server.url("private.git"), branch: "main" },
        gitCredentialsDir: secret,
        command: sh(
          `echo change >> README.md; for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do tr '\\0' ' ' < $f; echo; done > "$AGENTYARD_PROMPT_FILE.procs" 2>/dev/null; true`,
        ),
      });
      const state = await runTask(opts);
      expect(state).toMatchObject({ exitCode: 0, lastPR: { repo: server.url("private.git") } });
      expect(await branchCommit(join(dir, "private.git"), "agentyard/fix-readme")).toBe(state.lastPR?.commit);
      // The token really travelled, in the Authorization header only.
      expect(server.authorizations).toContain(
        `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`,
      );

      expect(snapshots.length).toBeGreaterThan(2);
      for (const snapshot of snapshots) expect(leaks(snapshot, token)).toEqual([]);
      expect(await readFile(join(opts.stateDir, "prompt.txt.procs"), "utf8")).not.toContain(token);
      expect(output.join("")).not.toContain(token);
      expect(JSON.stringify(state)).not.toContain(token);
      expect(await readFile(join(opts.stateDir, "last_pr.json"), "utf8")).not.toContain(token);
      expect(await gitIn(opts.workspace, ["config", "--list", "--local"])).not.toContain(token);
    } finally {
      await server.close();
    }
  });

  it("takes credentials out of a secret-bearing remote URL and keeps them out of everything it writes", async () => {
    const snapshots: ProcessInfo[][] = [];
    const server = await gitHttpServer(dir, {
      username: "robot",
      password: token,
      onRequest: async () => {
        snapshots.push(await processSnapshot());
      },
    });
    try {
      await bareRepo(join(dir, "private.git"));
      const clean = server.url("private.git");
      const opts = await options({
        repo: { url: clean.replace("http://", `http://robot:${token}@`), branch: "main" },
        command: sh('echo change >> README.md; echo "remote: $AGENTYARD_REPO_URL"; git remote -v'),
      });
      const state = await runTask(opts);
      expect(state).toMatchObject({ exitCode: 0, lastPR: { repo: clean } });
      expect(state.logTail).toContain(`remote: ${clean}\n`);
      for (const snapshot of snapshots) expect(leaks(snapshot, token)).toEqual([]);
      expect(output.join("")).not.toContain(token);
      expect(JSON.stringify(state)).not.toContain(token);
      expect(await readFile(join(opts.stateDir, "last_pr.json"), "utf8")).not.toContain(token);
    } finally {
      await server.close();
    }
  });

  it("reports a refused clone without the credentials in its message", async () => {
    const server = await gitHttpServer(dir, { username: "robot", password: "the-right-one" });
    try {
      await bareRepo(join(dir, "private.git"));
      const opts = await options({
        repo: { url: server.url("private.git").replace("http://", `http://robot:${token}@`), branch: "main" },
        command: ["true"],
      });
      const state = await runTask(opts);
      expect(state.exitCode).toBe(1);
      expect(state.message).toMatch(
        /could not clone http:\/\/127\.0\.0\.1:\d+\/private\.git .*Authentication failed/s,
      );
      expect(JSON.stringify(state)).not.toContain(token);
      expect(output.join("")).not.toContain(token);
    } finally {
      await server.close();
    }
  });
});
