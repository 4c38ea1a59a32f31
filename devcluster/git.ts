import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

const IDENTITY = {
  GIT_AUTHOR_NAME: "agentyard",
  GIT_AUTHOR_EMAIL: "agentyard@localhost",
  GIT_COMMITTER_NAME: "agentyard",
  GIT_COMMITTER_EMAIL: "agentyard@localhost",
};

/** Runs git in `cwd` and returns its stdout. */
export async function gitIn(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { cwd, env: { ...process.env, ...IDENTITY } });
  return stdout;
}

/**
 * A bare repository at `path` (the "origin"), with one commit of `files` on `branch`, made the way a
 * forge's repository is: by pushing from a clone.
 */
export async function bareRepo(
  path: string,
  files: Record<string, string> = { "README.md": "# demo\n" },
  branch = "main",
): Promise<string> {
  await mkdir(path, { recursive: true });
  await gitIn(path, ["init", "--quiet", "--bare", `--initial-branch=${branch}`]);
  const seed = `${path}.seed`;
  await mkdir(seed, { recursive: true });
  try {
    await gitIn(seed, ["init", "--quiet", `--initial-branch=${branch}`]);
    for (const [name, content] of Object.entries(files)) {
      await mkdir(dirname(join(seed, name)), { recursive: true });
      await writeFile(join(seed, name), content);
    }
    await gitIn(seed, ["add", "--all"]);
    await gitIn(seed, ["commit", "--quiet", "-m", "initial"]);
    await gitIn(seed, ["push", "--quiet", path, `HEAD:refs/heads/${branch}`]);
  } finally {
    await rm(seed, { recursive: true, force: true });
  }
  return path;
}

/** The commit a branch points at in a repository, or undefined when it has no such branch. */
export async function branchCommit(repo: string, branch: string): Promise<string | undefined> {
  const out = await gitIn(repo, ["for-each-ref", "--format=%(objectname)", `refs/heads/${branch}`]);
  return out.trim() || undefined;
}
