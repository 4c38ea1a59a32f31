import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A private view of some of this machine's folders: a command run through it sees `dirs` as they
 * are, but what it writes there (dpkg's database, /usr, a build's output) goes to folders under
 * `work` and outlives the command, for the next one through the same view. Nothing of the machine
 * changes, so a test can remove a Debian package or a build and watch a start put it back while the
 * suites beside it go on. A mount namespace with an overlay per folder: it needs root.
 */
export interface OverlayRoot {
  /** `command` run in the view: `unshare` execs into it, so it keeps the pid it is spawned with. */
  wrap(command: string[]): { file: string; args: string[] };
  /** Runs a shell script in the view and returns its stdout. */
  sh(script: string): Promise<string>;
}

export async function overlayRoot(work: string, dirs: string[]): Promise<OverlayRoot> {
  const mounts: string[] = [];
  for (const [i, dir] of dirs.entries()) {
    const upper = join(work, `overlay-${i}`, "upper");
    const scratch = join(work, `overlay-${i}`, "work");
    await mkdir(upper, { recursive: true });
    await mkdir(scratch, { recursive: true });
    mounts.push(
      `mount -t overlay overlay -o "lowerdir=${dir},upperdir=${upper},workdir=${scratch}" "${dir}"`,
    );
  }
  const wrap = (command: string[]) => ({
    file: "unshare",
    args: ["--mount", "sh", "-c", `set -e; ${mounts.join("; ")}; exec "$@"`, "sh", ...command],
  });
  const view: OverlayRoot = {
    wrap,
    sh: async (script) => {
      const { file, args } = wrap(["sh", "-c", script]);
      return (await run(file, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
    },
  };
  await view.sh("true").catch((err: Error) => {
    throw new Error(`a private overlay of ${dirs.join(", ")} needs root and overlayfs: ${err.message}`);
  });
  return view;
}
