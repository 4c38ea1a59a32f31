import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentState } from "../schema/contract/index.ts";
import { bareRepo, branchCommit, gitIn } from "../test/support/git.ts";
import { type AgentOptions, runTask } from "./agent.ts";
import { runTaskWithGitContainer } from "./git-container.test-support.ts";
import { BASE_REF } from "./workspace.ts";

/**
 * A persistent workspace outlives its pod: each run here is a new pod (a new state folder and, with a
 * git container, a new handoff folder) on the same workspace, as after a suspend and resume, a lost
 * pod or a retry.
 */

const SECRET = "s3cr3t-the-workspace-must-not-echo";

let dir: string;
let origin: string;
let pods: number;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentyard-workspace-"));
  origin = await bareRepo(join(dir, "origin.git"));
  pods = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A new pod of the task: a state folder of its own, the one workspace. */
function pod(command: string, overrides: Partial<AgentOptions> = {}): AgentOptions {
  pods += 1;
  return {
    task: "fix",
    org: "acme",
    namespace: "org-acme",
    attempt: 1,
    prompt: "Fix it",
    stateDir: join(dir, `state-${pods}`),
    workspace: join(dir, "workspace"),
    repo: { url: origin, branch: "main" },
    command: ["sh", "-c", command],
    env: { PATH: process.env.PATH },
    stdout: () => {},
    stderr: () => {},
    log: pino({ level: "silent" }),
    killGraceMs: 2_000,
    ...overrides,
  };
}

/** A commit on the remote's base branch, made after the workspace was cloned. */
async function advance(repo: string, branch = "main"): Promise<string> {
  const clone = join(dir, "advance");
  await gitIn(dir, ["clone", "--quiet", `--branch=${branch}`, repo, clone]);
  await writeFile(join(clone, "later.txt"), "later\n");
  await gitIn(clone, ["add", "later.txt"]);
  await gitIn(clone, ["commit", "--quiet", "-m", "later"]);
  await gitIn(clone, ["push", "--quiet", "origin", branch]);
  await rm(clone, { recursive: true, force: true });
  return (await branchCommit(repo, branch)) as string;
}

const workspaceGit = (args: string[]) => gitIn(join(dir, "workspace"), args);

/** The task's clone and push in the agent's own process (outside a pod), or in the pod's git container. */
const MODES = {
  "in the agent's own process": (options: AgentOptions) => runTask(options),
  "in the git container": async (options: AgentOptions) => (await runTaskWithGitContainer(options)).state,
};

describe.each(Object.entries(MODES))(
  "a persistent workspace, the clone %s",
  { timeout: 120_000 },
  (_, run) => {
    it("is reused by the next pod of the attempt and of the next one, diffed against the first clone's base", async () => {
      const base = (await branchCommit(origin, "main")) as string;
      const first = await run(
        pod("echo one > one.txt && echo notes > notes.log && echo '*.log' >> .git/info/exclude"),
      );
      expect(first, first.message).toMatchObject({ exitCode: 0, lastPR: { branch: "agentyard/fix" } });
      expect((await workspaceGit(["rev-parse", BASE_REF])).trim()).toBe(base);
      const later = await advance(origin);

      // Suspended and resumed: a new pod, the same attempt. It finds the work and the ignored notes.
      const resumed = await run(pod("cat one.txt notes.log > seen.txt && echo two > two.txt"));
      expect(resumed, resumed.message).toMatchObject({ exitCode: 0, attempt: 1 });
      // Retried: a new pod and attempt.
      const retried = await run(pod("test -f two.txt && echo three > three.txt", { attempt: 2 }));
      expect(retried, retried.message).toMatchObject({ exitCode: 0, attempt: 2 });

      const pushed = (await branchCommit(origin, "agentyard/fix")) as string;
      expect(pushed).toBe(retried.lastPR?.commit);
      expect(await gitIn(origin, ["show", `${pushed}:seen.txt`])).toBe("one\nnotes\n");
      // Each push holds every run's work, on top of the first clone's base: no clone since.
      expect(await gitIn(origin, ["ls-tree", "--name-only", pushed])).toBe(
        "README.md\none.txt\nseen.txt\nthree.txt\ntwo.txt\n",
      );
      expect(await gitIn(origin, ["merge-base", "--is-ancestor", base, pushed])).toBe("");
      await expect(gitIn(origin, ["merge-base", "--is-ancestor", later, pushed])).rejects.toThrow();
      expect(resumed.lastPR?.diffstat).toEqual({ files: 3, insertions: 4, deletions: 0 });
      expect(retried.lastPR?.diffstat).toEqual({ files: 4, insertions: 5, deletions: 0 });
      expect(retried.lastPR?.summary).toContain("one.txt");
      expect(await readFile(join(dir, "workspace", "notes.log"), "utf8")).toBe("notes\n");
    });

    it("pushes and reports the earlier pods' work when the next attempt adds nothing", async () => {
      await run(pod("echo one > one.txt"));
      const again = await run(pod("true", { attempt: 2 }));
      expect(again, again.message).toMatchObject({ exitCode: 0, lastPR: { diffstat: { files: 1 } } });
    });

    it("refuses a clone of another branch or repository, naming the workspace, and leaves it as it is", async () => {
      await gitIn(origin, ["branch", "other", "main"]);
      await run(pod("echo one > one.txt"));
      const other = await bareRepo(join(dir, "other.git"));
      for (const repo of [
        { url: origin, branch: "other" },
        { url: other, branch: "main" },
      ]) {
        const state = await run(pod("echo ran > ran.txt", { repo }));
        expect(state.exitCode).toBe(1);
        expect(state.message).toBe(
          `the workspace ${join(dir, "workspace")} holds a clone of ${origin} (branch main), not of ${repo.url} (branch ${repo.branch}); not reusing it, not cloning over it`,
        );
        expect(state.startedAt).toBeUndefined();
      }
      expect(await readFile(join(dir, "workspace", "one.txt"), "utf8")).toBe("one\n");
      expect(await workspaceGit(["status", "--porcelain"])).toBe("");
    });

    it("refuses a folder of files, and a git repository it did not clone, without touching them", async () => {
      const workspace = join(dir, "workspace");
      await mkdir(workspace, { recursive: true });
      await writeFile(join(workspace, "mine.txt"), "mine\n");
      const files = await run(pod("echo ran > ran.txt"));
      expect(files).toMatchObject({ exitCode: 1, message: expect.stringContaining("is not empty") });
      expect(files.message).toContain(workspace);

      await gitIn(workspace, ["init", "--quiet"]);
      const repository = await run(pod("echo ran > ran.txt"));
      expect(repository.exitCode).toBe(1);
      expect(repository.message).toBe(
        `the workspace ${workspace} holds a git repository without agentyard's record of its clone (agentyard.url, agentyard.branch); not reusing it, not cloning over it`,
      );
      expect(await gitIn(workspace, ["status", "--porcelain"])).toBe("?? mine.txt\n");
    });
  },
);

const NO_BASE = "has no recorded base commit";
const NO_RECORD = "holds a git repository without agentyard's record of its clone";
const NOT_A_DIRECTORY = "has a .git that is not a directory";

/** What an earlier pod's command can leave in the workspace's .git, and the refusal each one meets. */
const TAMPERING: Record<string, [refusal: string, tamper: (git: string) => Promise<void>]> = {
  "the base ref deleted": [
    NO_BASE,
    async () => {
      await workspaceGit(["update-ref", "-d", BASE_REF]);
    },
  ],
  "the base ref naming a tree": [
    NO_BASE,
    async () => {
      await workspaceGit(["update-ref", BASE_REF, "HEAD^{tree}"]);
    },
  ],
  "the base ref a link to the Secret's file": [
    NO_BASE,
    async (git) => {
      await workspaceGit(["update-ref", "-d", BASE_REF]);
      await mkdir(join(git, "refs", "agentyard"), { recursive: true });
      await symlink(join(dir, "secret", "token"), join(git, "refs", "agentyard", "base"));
    },
  ],
  "the base ref a revision expression": [
    NO_BASE,
    async (git) => {
      await workspaceGit(["update-ref", "-d", BASE_REF]);
      await mkdir(join(git, "refs", "agentyard"), { recursive: true });
      await writeFile(join(git, "refs", "agentyard", "base"), "--output=/tmp/x HEAD\n");
    },
  ],
  "its config a link to the Secret's file": [
    NO_RECORD,
    async (git) => {
      await rm(join(git, "config"));
      await symlink(join(dir, "secret", "token"), join(git, "config"));
    },
  ],
  "its record behind an include of a file elsewhere": [
    NO_RECORD,
    async () => {
      const elsewhere = join(dir, "elsewhere.gitconfig");
      await writeFile(elsewhere, `[agentyard]\n\turl = ${origin}\n\tbranch = main\n`);
      await workspaceGit(["config", "--unset", "agentyard.url"]);
      await workspaceGit(["config", "--unset", "agentyard.branch"]);
      await workspaceGit(["config", "include.path", elsewhere]);
    },
  ],
  ".git a link to another clone": [
    NOT_A_DIRECTORY,
    async (git) => {
      const decoy = join(dir, "decoy");
      await gitIn(dir, ["clone", "--quiet", origin, decoy]);
      await gitIn(decoy, ["update-ref", BASE_REF, "HEAD"]);
      await gitIn(decoy, ["config", "agentyard.url", origin]);
      await gitIn(decoy, ["config", "agentyard.branch", "main"]);
      await rm(git, { recursive: true, force: true });
      await symlink(join(decoy, ".git"), git);
    },
  ],
  ".git a gitfile": [
    NOT_A_DIRECTORY,
    async (git) => {
      await rm(git, { recursive: true, force: true });
      await writeFile(git, `gitdir: ${join(dir, "secret")}\n`);
    },
  ],
};

describe.each(Object.entries(MODES))(
  "a persistent workspace an earlier pod's command tampered with, the clone %s",
  { timeout: 120_000 },
  (_, run) => {
    it.each(Object.entries(TAMPERING))(
      "refuses it with %s, and quotes nothing it points at",
      async (_, [refusal, tamper]) => {
        const secretDir = join(dir, "secret");
        await mkdir(secretDir);
        await writeFile(join(secretDir, "token"), `${SECRET}\n`);
        const first = await run(pod("echo one > one.txt", { gitCredentialsDir: secretDir }));
        expect(first.exitCode, first.message).toBe(0);
        await tamper(join(dir, "workspace", ".git"));

        const state: AgentState = await run(pod("echo ran > ran.txt", { gitCredentialsDir: secretDir }));
        expect(state.exitCode).toBe(1);
        expect(state.message).toMatch(/; not reusing it, not cloning over it$/);
        expect(state.message).toContain(`the workspace ${join(dir, "workspace")} ${refusal}`);
        expect(state.message).not.toContain(SECRET);
        expect(state.startedAt).toBeUndefined();
        expect(await readFile(join(dir, "workspace", "one.txt"), "utf8")).toBe("one\n");
        expect(await branchCommit(origin, "agentyard/fix")).toBe(first.lastPR?.commit);
      },
    );
  },
);

describe("a restarted agent container", { timeout: 60_000 }, () => {
  it("does not run the attempt again in its own pod, in the agent's own process", async () => {
    const options = pod("echo ran >> ran.log && exit 3");
    expect((await runTask(options)).exitCode).toBe(3);
    const state = await runTask(options);
    expect(state).toMatchObject({
      exitCode: 1,
      message: expect.stringContaining("did the agent container restart mid-task?"),
    });
    expect(await readFile(join(dir, "workspace", "ran.log"), "utf8")).toBe("ran\n");
  });
});
