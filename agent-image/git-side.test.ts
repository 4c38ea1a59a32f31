import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bareRepo, branchCommit, type GitHttpServer, gitHttpServer, gitIn } from "../test/support/git.ts";
import { type AgentOptions, runTask } from "./agent.ts";
import { runTaskWithGitContainer } from "./git-container.test-support.ts";
import { runGitSide } from "./git-side.ts";
import { CloneAnswerSchema, HANDOFF_FILE, PushAnswerSchema, readMessage, writeMessage } from "./handoff.ts";

const TOKEN = "t0ken-only-the-git-container-holds";

let dir: string;
let server: GitHttpServer;
let origin: string;
let secretDir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentyard-git-side-"));
  server = await gitHttpServer(dir, { username: "x-access-token", password: TOKEN });
  await bareRepo(join(dir, "private.git"));
  origin = server.url("private.git");
  secretDir = join(dir, "secret");
  await mkdir(secretDir);
  await writeFile(join(secretDir, "token"), `${TOKEN}\n`);
  await chmod(join(secretDir, "token"), 0o440);
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function options(command: string, overrides: Partial<AgentOptions> = {}): AgentOptions {
  return {
    task: "fix",
    org: "acme",
    namespace: "org-acme",
    attempt: 1,
    prompt: "Fix it",
    stateDir: join(dir, "state"),
    workspace: join(dir, "workspace"),
    repo: { url: origin, branch: "main" },
    command: ["sh", "-c", command],
    gitCredentialsDir: secretDir,
    env: { PATH: process.env.PATH, TMPDIR: join(dir, "tmp") },
    stdout: () => {},
    stderr: () => {},
    log: pino({ level: "silent" }),
    killGraceMs: 2_000,
    ...overrides,
  };
}

/**
 * A command that looks for the token everywhere the agent container lets it look: its environment,
 * its parent's (the runtime's) environment and argv, and every file in the folders the container
 * mounts; it writes what it found into the workspace, so the push carries the verdict.
 */
const HUNT = `
T="${TOKEN.slice(0, 5)}""${TOKEN.slice(5)}"
hunt() { for d in "$AGENTYARD_STATE_DIR" "$AGENTYARD_GIT_HANDOFF" "$AGENTYARD_GIT_CREDENTIALS" "$TMPDIR" "$HOME" .; do
  [ -n "$d" ] && [ -d "$d" ] && grep -rl "$T" "$d" 2>/dev/null; done
  env | grep -l "$T" - 2>/dev/null
  grep -l "$T" /proc/self/environ /proc/$PPID/environ /proc/$PPID/cmdline 2>/dev/null; }
found=$(hunt); if [ -n "$found" ]; then echo "found: $found" > verdict.txt; else echo "nothing found" > verdict.txt; fi`;

describe("the git container beside an agent that holds no credential", { timeout: 60_000 }, () => {
  it("clones and pushes with the token, which the task's command cannot find", async () => {
    const handoffDir = join(dir, "handoff");
    const { state } = await runTaskWithGitContainer(
      options(HUNT, {
        // What the operator's Deployment gives the agent container, made local.
        env: {
          PATH: process.env.PATH,
          TMPDIR: join(dir, "tmp"),
          AGENTYARD_STATE_DIR: join(dir, "state"),
          AGENTYARD_GIT_HANDOFF: handoffDir,
        },
      }),
      { handoffDir },
    );
    expect(state, state.message).toMatchObject({ exitCode: 0, lastPR: { branch: "agentyard/fix" } });
    expect(await branchCommit(join(dir, "private.git"), "agentyard/fix")).toBe(state.lastPR?.commit);
    expect(await gitIn(join(dir, "private.git"), ["show", "agentyard/fix:verdict.txt"])).toBe(
      "nothing found\n",
    );
    expect(server.authorizations).toContain(
      `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`,
    );
  });

  it("would have let the command find it in the runtime's own folder without a git container", async () => {
    // The same hunt, the credentials mounted into the agent container as before: the test can fail.
    const state = await runTask(
      options(HUNT, {
        env: { PATH: process.env.PATH, AGENTYARD_GIT_CREDENTIALS: secretDir },
      }),
    );
    expect(await gitIn(join(dir, "private.git"), ["show", `${state.lastPR?.commit}:verdict.txt`])).toMatch(
      /^found: /,
    );
  });

  it("pushes the task's branch only, whatever a request the command wrote itself asks", async () => {
    const forge = `
printf '{"id":"forged","title":"forged","body":"","branch":"main"}' > "$AGENTYARD_GIT_HANDOFF/${HANDOFF_FILE.pushRequest}"
git checkout -q -b main-evil && echo evil > evil.txt && git add evil.txt && git -c user.name=x -c user.email=x@x commit -qm evil
until grep -q forged "$AGENTYARD_GIT_HANDOFF/${HANDOFF_FILE.pushResult}" 2>/dev/null; do sleep 0.05; done`;
    const before = await branchCommit(join(dir, "private.git"), "main");
    const handoff = join(dir, "handoff-forged");
    const { state } = await runTaskWithGitContainer(
      options(forge, { env: { PATH: process.env.PATH, AGENTYARD_GIT_HANDOFF: handoff } }),
      { handoffDir: handoff },
    );
    expect(state.exitCode, state.message).toBe(0);
    expect(await branchCommit(join(dir, "private.git"), "main")).toBe(before);
    expect(await branchCommit(join(dir, "private.git"), "main-evil")).toBeUndefined();
    expect(await branchCommit(join(dir, "private.git"), "agentyard/fix")).toBe(state.lastPR?.commit);
  });

  it("says why a clone was refused, without the token", async () => {
    await writeFile(join(secretDir, "token"), "not-the-token\n");
    const { state } = await runTaskWithGitContainer(options("echo never > ran.txt"));
    expect(state.exitCode).toBe(1);
    expect(state.message).toMatch(/^could not clone .*private\.git \(branch main\): git clone failed/);
    expect(state.message).not.toContain("not-the-token");
    expect(state.startedAt).toBeUndefined();
  });

  it("says why a push was refused, without the token", async () => {
    // A real server-side refusal: the repository's pre-receive hook declines every push.
    const hook = join(dir, "private.git", "hooks", "pre-receive");
    await mkdir(join(dir, "private.git", "hooks"), { recursive: true });
    await writeFile(hook, "#!/bin/sh\necho pushes are closed today >&2\nexit 1\n", { mode: 0o755 });
    const { state } = await runTaskWithGitContainer(options("echo change >> README.md"));
    expect(state.exitCode).toBe(1);
    expect(state.message).toMatch(/^the command succeeded but its work could not be pushed: git push failed/);
    expect(state.message).toContain("pushes are closed today");
    expect(state.message).not.toContain(TOKEN);
    expect(state.lastPR).toBeUndefined();
  });

  it("does not run the task again in an agent container that restarted mid-task", async () => {
    const opts = options("echo ran >> ran.txt");
    await mkdir(opts.stateDir, { recursive: true });
    await writeFile(join(opts.stateDir, "began"), "earlier\n");
    const { state } = await runTaskWithGitContainer(opts);
    expect(state.exitCode).toBe(1);
    expect(state.message).toContain("did the agent container restart mid-task?");
    expect(await branchCommit(join(dir, "private.git"), "agentyard/fix")).toBeUndefined();
  });

  it("does not clone again when the git container restarts, and still answers the next push", async () => {
    const handoffDir = join(dir, "handoff");
    const workspace = join(dir, "workspace");
    const side = (signal: AbortSignal) =>
      runGitSide({
        task: "fix",
        attempt: 1,
        workspace,
        repo: { url: origin, branch: "main" },
        pushBranch: "agentyard/fix",
        gitCredentialsDir: secretDir,
        handoffDir,
        home: join(dir, "git-home"),
        signal,
        log: pino({ level: "silent" }),
        pollMs: 20,
      });
    const first = new AbortController();
    const running = side(first.signal);
    await expect
      .poll(() => readMessage(handoffDir, HANDOFF_FILE.clone, CloneAnswerSchema), { timeout: 30_000 })
      .toEqual({ attempt: 1, ok: true });
    first.abort();
    await running;
    await gitIn(workspace, ["checkout", "-q", "-b", "agentyard/fix"]);
    await writeFile(join(workspace, "work.txt"), "work\n");
    await gitIn(workspace, ["add", "work.txt"]);
    await gitIn(workspace, ["-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qm", "work"]);

    const second = new AbortController();
    const again = side(second.signal);
    await writeMessage(handoffDir, HANDOFF_FILE.pushRequest, {
      id: "after-restart",
      title: "work",
      body: "",
    });
    await expect
      .poll(() => readMessage(handoffDir, HANDOFF_FILE.pushResult, PushAnswerSchema), { timeout: 30_000 })
      .toEqual({ id: "after-restart", ok: true });
    second.abort();
    await again;
    expect(await readMessage(handoffDir, HANDOFF_FILE.clone, CloneAnswerSchema)).toEqual({
      attempt: 1,
      ok: true,
    });
    expect(await gitIn(join(dir, "private.git"), ["show", "agentyard/fix:work.txt"])).toBe("work\n");
    expect(await readFile(join(workspace, "work.txt"), "utf8")).toBe("work\n");
  });
});
