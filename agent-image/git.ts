import type { Diffstat } from "../schema/agenttask.ts";
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
  });
  const stop = () => void group.stop();
  ctx.signal?.addEventListener("abort", stop, { once: true });
  if (ctx.signal?.aborted) stop();
  const exit = await group.exited;
  ctx.signal?.removeEventListener("abort", stop);
  if (exit.code !== 0) {
    const why = exit.error ?? lastLines(stderr);
    throw new GitError(ctx.redactor.redact(`git ${args[0]} failed (exit ${exit.code}): ${why}`));
  }
  return stdout;
}

/** A shallow clone of one branch into ctx.cwd, which must be empty. */
export async function clone(ctx: GitContext, url: string, branch: string): Promise<void> {
  await git(ctx, [
    "clone",
    "--depth=1",
    "--single-branch",
    "--no-tags",
    `--branch=${branch}`,
    "--",
    url,
    ".",
  ]);
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
  await git(ctx, ["commit", "--quiet", "--file=-"], message);
}

/**
 * Pushes HEAD to `branch` on origin. Forced: the branch belongs to this task, and a retried attempt
 * replaces the work of the one before.
 */
export async function push(ctx: GitContext, branch: string): Promise<void> {
  await git(ctx, ["push", "--force", "--quiet", "origin", `HEAD:refs/heads/${branch}`]);
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
