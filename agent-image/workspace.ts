import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { isEmptyDir } from "./files.ts";
import { type GitContext, GitError, git } from "./git.ts";

/**
 * A workspace the runtime neither clones into nor reuses: not empty, and not a clone it made of the
 * task's repository. Its message names the workspace and says why; nothing in it is touched.
 */
export class WorkspaceError extends Error {}

/**
 * The commit the workspace was first cloned at. A persistent workspace outlives the pod that cloned
 * it, and every later pod diffs the task's work against this commit, not against HEAD at its start;
 * a ref also keeps the commit from being pruned when the command rewrites its history.
 */
export const BASE_REF = "refs/agentyard/base";

/** Where the clone's remote and branch are recorded, in the work tree's own config. */
const RECORD = { url: "agentyard.url", branch: "agentyard.branch" } as const;

/** What a workspace is cloned from: the remote without credentials, and its base branch. */
export interface CloneSource {
  url: string;
  branch: string;
}

/** How much of a recorded value a message quotes: the config is the command's to write. */
const QUOTED_MAX = 200;
const quoted = (value: string) => (value.length > QUOTED_MAX ? `${value.slice(0, QUOTED_MAX)}…` : value);

/**
 * Makes the workspace the task's clone: clones into an empty one (and records the clone), or reuses
 * the clone an earlier pod of the task left on a persistent volume. Anything else is refused, never
 * cloned over.
 */
export async function prepareWorkspace(
  work: GitContext,
  source: CloneSource,
  clone: () => Promise<void>,
): Promise<void> {
  if (!(await isEmptyDir(work.cwd))) {
    await checkReusable(work, source);
    return;
  }
  try {
    await clone();
  } catch (err) {
    throw new GitError(`could not clone ${source.url} (branch ${source.branch}): ${(err as Error).message}`);
  }
  await recordClone(work, source);
}

/** Records the fresh clone's base commit, remote and branch for the pods that reuse it. */
async function recordClone(work: GitContext, source: CloneSource): Promise<void> {
  await git(work, ["update-ref", BASE_REF, "HEAD"]);
  await git(work, ["config", "--local", RECORD.url, source.url]);
  await git(work, ["config", "--local", RECORD.branch, source.branch]);
}

/** Throws a WorkspaceError unless the workspace is a clone this runtime made of `source`. */
async function checkReusable(work: GitContext, source: CloneSource): Promise<void> {
  const where = `the workspace ${work.cwd}`;
  const gitDir = await lstat(join(work.cwd, ".git")).catch(() => undefined);
  if (!gitDir) {
    throw new WorkspaceError(`${where} is not empty and holds no clone (no .git); not cloning over it`);
  }
  // A link or a gitfile would point the runtime's git at a repository outside the workspace.
  if (!gitDir.isDirectory()) {
    throw new WorkspaceError(
      `${where} has a .git that is not a directory; not reusing it, not cloning over it`,
    );
  }
  const recorded = await recordedSource(work);
  if (!recorded) {
    throw new WorkspaceError(
      `${where} holds a git repository without agentyard's record of its clone (${RECORD.url}, ${RECORD.branch}); not reusing it, not cloning over it`,
    );
  }
  if (recorded.url !== source.url || recorded.branch !== source.branch) {
    throw new WorkspaceError(
      `${where} holds a clone of ${quoted(recorded.url)} (branch ${quoted(recorded.branch)}), not of ${source.url} (branch ${source.branch}); not reusing it, not cloning over it`,
    );
  }
  await recordedBase(work);
}

/**
 * The remote and branch the clone recorded, read from the work tree's config file alone: no include
 * it names is followed, so nothing outside the workspace is read for them.
 */
async function recordedSource(work: GitContext): Promise<CloneSource | undefined> {
  const file = join(work.cwd, ".git", "config");
  const value = (key: string) =>
    git(work, ["config", "--file", file, "--no-includes", "--get", key]).then(
      (out) => out.replace(/\n$/, ""),
      () => undefined,
    );
  const url = await value(RECORD.url);
  const branch = await value(RECORD.branch);
  return url === undefined || branch === undefined ? undefined : { url, branch };
}

/**
 * The base commit the workspace was first cloned at, as a full object id (never an option or a
 * revision expression the command wrote); a WorkspaceError when the ref is missing or names no commit.
 */
export async function recordedBase(work: GitContext): Promise<string> {
  const out = await git(work, ["rev-parse", "--verify", "--quiet", `${BASE_REF}^{commit}`]).catch(() => "");
  const base = out.trim();
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(base)) {
    throw new WorkspaceError(
      `the workspace ${work.cwd} has no recorded base commit (${BASE_REF} is missing or names no commit); not reusing it, not cloning over it`,
    );
  }
  return base;
}
