import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Diffstat } from "../schema/agenttask.ts";
import { type GitAccess, gitConfigEnv } from "./credentials.ts";
import { startGroup } from "./process.ts";
import type { Redactor } from "./redact.ts";

/** A git command that failed; its message is already redacted. */
export class GitError extends Error {}

export interface GitContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  /** Aborting stops the running git command (and its helpers: it runs in its own process group). */
  signal?: AbortSignal;
  killGraceMs: number;
  /** Written to git's file descriptor 3 (the credential helper's answer). */
  fd3?: string;
}

/** The last lines of git's stderr: where it says what went wrong. */
function lastLines(text: string, max = 600): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `…${trimmed.slice(-max)}` : trimmed;
}

/** Runs git and returns its stdout; throws a GitError carrying the end of its stderr, redacted. */
export async function git(ctx: GitContext, args: string[], input?: string): Promise<string> {
  let stdout = "";
  let stderr = "";
  const group = startGroup(["git", ...args], {
    cwd: ctx.cwd,
    env: ctx.env,
    onStdout: (t) => {
      stdout += t;
    },
    onStderr: (t) => {
      stderr += t;
    },
    killGraceMs: ctx.killGraceMs,
    ...(input === undefined ? {} : { stdin: input }),
    ...(ctx.fd3 === undefined ? {} : { fd3: ctx.fd3 }),
  });
  const stop = () => void group.stop();
  ctx.signal?.addEventListener("abort", stop, { once: true });
  if (ctx.signal?.aborted) stop();
  const exit = await group.exited;
  ctx.signal?.removeEventListener("abort", stop);
  if (exit.code !== 0) {
    const why = exit.error ?? lastLines(stderr);
    // The subcommand, not an option before it such as --git-dir, says what failed.
    const verb = args.find((a) => !a.startsWith("-")) ?? args[0];
    throw new GitError(ctx.redactor.redact(`git ${verb} failed (exit ${exit.code}): ${why}`));
  }
  return stdout;
}

export async function head(ctx: GitContext): Promise<string> {
  return (await git(ctx, ["rev-parse", "HEAD"])).trim();
}

/** Whether the work tree has changes to commit (untracked files count; ignored ones do not). */
export async function hasUncommitted(ctx: GitContext): Promise<boolean> {
  return (await git(ctx, ["status", "--porcelain", "--untracked-files=all"])).trim() !== "";
}

/** Commits everything in the work tree on `branch`, created (or reset) at the current HEAD. */
export async function commitAll(ctx: GitContext, branch: string, message: string): Promise<void> {
  await git(ctx, ["checkout", "-B", branch]);
  await git(ctx, ["add", "--all"]);
  await git(ctx, ["commit", "--quiet", "--no-verify", "--file=-"], message);
}

/** Files, lines added and lines removed between two commits (binary files count as files only). */
export async function diffstat(ctx: GitContext, from: string, to: string): Promise<Diffstat> {
  const out = await git(ctx, ["diff", "--numstat", "--no-renames", from, to]);
  const stat: Diffstat = { files: 0, insertions: 0, deletions: 0 };
  for (const line of out.split("\n")) {
    const [added, removed] = line.split("\t");
    if (added === undefined || removed === undefined) continue;
    stat.files += 1;
    stat.insertions += Number.parseInt(added, 10) || 0;
    stat.deletions += Number.parseInt(removed, 10) || 0;
  }
  return stat;
}

/** `git diff --stat`, the readable summary of a change. */
export async function diffSummary(ctx: GitContext, from: string, to: string): Promise<string> {
  return (await git(ctx, ["diff", "--stat=100", from, to])).trimEnd();
}

/** Where the runtime's programs are found: system directories only, never a PATH the task's env sets. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Command-scope config for every git the runtime runs. Command scope outranks the repository's own
 * config, which the task's command and the editor can write: no hook, no fsmonitor, no signing
 * program, and no credential helper but the runtime's.
 */
export const HARDENED_CONFIG: [string, string][] = [
  ["core.hooksPath", "/dev/null"],
  ["core.fsmonitor", "false"],
  ["commit.gpgSign", "false"],
  ["credential.helper", ""],
];

export interface IsolatedGitOptions {
  /** A directory of the runtime's own, not shared with the editor: git's HOME. */
  home: string;
  /** Repositories git may use although another user owns them (a pod's workspace volume is root's). */
  safeDirectories: string[];
  /** The author and committer, taken from the task's environment. */
  identity: Record<string, string>;
}

/**
 * The runtime's isolation around a workspace: `home` its own folder, the author and committer from
 * the task's environment (agentyard's own name by default).
 */
export function runtimeGitIsolation(
  home: string,
  workspace: string,
  env: NodeJS.ProcessEnv,
): IsolatedGitOptions {
  return {
    home,
    // The workspace volume belongs to root in a pod; git refuses such a directory unless told.
    safeDirectories: [workspace, join(workspace, ".git")],
    identity: {
      GIT_AUTHOR_NAME: env.GIT_AUTHOR_NAME ?? "agentyard",
      GIT_AUTHOR_EMAIL: env.GIT_AUTHOR_EMAIL ?? "agentyard@localhost",
      GIT_COMMITTER_NAME: env.GIT_COMMITTER_NAME ?? env.GIT_AUTHOR_NAME ?? "agentyard",
      GIT_COMMITTER_EMAIL: env.GIT_COMMITTER_EMAIL ?? env.GIT_AUTHOR_EMAIL ?? "agentyard@localhost",
    },
  };
}

/**
 * The whole environment of the runtime's git: nothing of the task's env (GIT_*, proxies, LD_PRELOAD,
 * PATH), no system or global config, and a private HOME. What a task's command or editor planted in
 * $HOME, $XDG_CONFIG_HOME or the environment cannot reach it.
 */
export function isolatedGitEnv(opts: IsolatedGitOptions, access?: GitAccess): Record<string, string> {
  const config = [
    ...HARDENED_CONFIG,
    ...(access?.config ?? []),
    ...opts.safeDirectories.map((dir): [string, string] => ["safe.directory", dir]),
  ];
  return {
    PATH: SYSTEM_PATH,
    HOME: opts.home,
    XDG_CONFIG_HOME: join(opts.home, ".config"),
    LANG: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    ...opts.identity,
    ...(access?.env ?? {}),
    ...gitConfigEnv(config),
  };
}

/** A fresh, empty directory under `privateDir` for `use`, removed once it returns. */
async function scratch<T>(privateDir: string, prefix: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(privateDir, prefix));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A shallow clone of one branch into `work.cwd`, which must be empty. Only a bare repository of the
 * runtime's own ever talks to the remote: the work tree is cloned from it, with no credentials at all,
 * and its origin then named by the URL without credentials.
 */
export async function clone(
  work: GitContext,
  remote: GitContext,
  privateDir: string,
  url: string,
  branch: string,
): Promise<void> {
  await scratch(privateDir, "clone-", async (mirror) => {
    const shallow = ["--depth=1", "--single-branch", "--no-tags", `--branch=${branch}`];
    const bare = ["clone", "--bare", "--quiet", "--template=", ...shallow, "--", url, mirror];
    await git({ ...remote, cwd: privateDir }, bare);
    await git(work, ["clone", "--quiet", ...shallow, "--", pathToFileURL(mirror).href, "."]);
    await git(work, ["remote", "set-url", "origin", url]);
  });
}

/**
 * Pushes `branch` of the work tree to `url`, forced: the branch belongs to this task, and a retried
 * attempt replaces the work of the one before. The push runs from a fresh bare repository that
 * fetched the branch from the work tree: no config, hook or remote the work tree carries (insteadOf,
 * proxies, helpers) takes part in the command that holds the credentials.
 */
export async function push(
  work: GitContext,
  remote: GitContext,
  privateDir: string,
  url: string,
  branch: string,
): Promise<void> {
  const ref = `refs/heads/${branch}`;
  await scratch(privateDir, "push-", async (repo) => {
    const local = { ...work, cwd: privateDir };
    await git(local, ["init", "--bare", "--quiet", "--template=", repo]);
    await git(local, [
      `--git-dir=${repo}`,
      "fetch",
      "--quiet",
      "--no-tags",
      "--update-shallow",
      "--",
      work.cwd,
      `+${ref}:${ref}`,
    ]);
    await git({ ...remote, cwd: privateDir }, [
      `--git-dir=${repo}`,
      "push",
      "--force",
      "--quiet",
      url,
      `${ref}:${ref}`,
    ]);
  });
}
