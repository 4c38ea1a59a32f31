import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root, wherever the process was started from. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Heavy builds live outside the repository so that a fresh clone reuses them. */
export function cacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "agentyard");
}

/** Per-checkout runtime state of `agentyard dev up` (git-ignored). */
export function devStateDir(): string {
  return process.env.AGENTYARD_DEV_DIR || join(projectRoot, ".agentyard", "dev");
}

export const goModulesDir = join(projectRoot, "devcluster", "go");
