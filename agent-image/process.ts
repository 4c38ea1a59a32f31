import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { constants } from "node:os";
import type { Readable, Writable } from "node:stream";

export interface Exit {
  /** The exit code, or 128 + the signal's number for a process killed by a signal (as shells report). */
  code: number;
  signal?: NodeJS.Signals;
  /** Why the process could not start, e.g. its program was not found. */
  error?: string;
}

export interface GroupOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  onStdout: (text: string) => void;
  onStderr: (text: string) => void;
  stdin?: string;
  /**
   * Written to the program's file descriptor 3, a pipe that only it and its children inherit: how a
   * secret reaches a helper without passing through any argv, environment or file.
   */
  fd3?: string;
  /** How long the group gets between SIGTERM and SIGKILL. */
  killGraceMs: number;
}

export interface ProcessGroup {
  /** Resolves once the program has started (with its pid), or undefined when it could not start. */
  readonly spawned: Promise<number | undefined>;
  /** Resolves when the leader has exited and the rest of its group is gone; never rejects. */
  readonly exited: Promise<Exit>;
  /** SIGTERM to the whole group, SIGKILL after the grace; resolves with the leader's exit. */
  stop(): Promise<Exit>;
}

/** Whether kill(2) still finds the group; zombies count, so this alone may wait out the grace. */
function groupSignalable(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether any process of the group still runs. Orphans are reaped by PID 1, which outside a container
 * with an init may take its time or never happen, so /proc is read to ignore zombies.
 */
async function groupAlive(pgid: number): Promise<boolean> {
  if (!groupSignalable(pgid)) return false;
  let pids: string[];
  try {
    pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (pgrp === String(pgid) && state !== "Z") return true;
  }
  return false;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Ends every process of a group: SIGTERM, then SIGKILL to whatever is left after the grace. Orphaned
 * grandchildren stay in the group after the leader exits, so this is what stops them too.
 */
export async function killGroup(pgid: number, graceMs: number): Promise<void> {
  if (!(await groupAlive(pgid))) return;
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while ((await groupAlive(pgid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  signalGroup(pgid, "SIGKILL");
}

/**
 * Starts a program as the leader of a new process group (a new session, so it has no controlling
 * terminal either), so that it and everything it spawns can be stopped together.
 */
export function startGroup(argv: string[], options: GroupOptions): ProcessGroup {
  const [file, ...args] = argv;
  const child = spawn(file as string, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: [
      options.stdin === undefined ? "ignore" : "pipe",
      "pipe",
      "pipe",
      ...(options.fd3 === undefined ? [] : (["pipe"] as const)),
    ],
  });
  // Both are pipes (stdio above); Node's types cannot tell from a computed stdio array.
  const stdout = child.stdout as Readable;
  const stderr = child.stderr as Readable;
  stdout.setEncoding("utf8").on("data", options.onStdout);
  stderr.setEncoding("utf8").on("data", options.onStderr);
  if (child.stdin) {
    // A program that exits without reading its input must not fail the runtime with EPIPE.
    child.stdin.on("error", () => {});
    child.stdin.end(options.stdin);
  }
  const fd3 = child.stdio[3] as Writable | null | undefined;
  if (fd3 && options.fd3 !== undefined) {
    fd3.on("error", () => {});
    fd3.end(options.fd3);
  }

  const spawned = new Promise<number | undefined>((resolve) => {
    child.once("spawn", () => resolve(child.pid));
    child.once("error", () => resolve(undefined));
  });

  const leaderExit = new Promise<Exit>((resolve) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      const notFound = err.code === "ENOENT";
      resolve({ code: notFound ? 127 : 126, error: `cannot run ${file}: ${err.message}` });
    });
    child.once("exit", (code, signal) => {
      if (signal) resolve({ code: 128 + (constants.signals[signal] ?? 0), signal });
      else resolve({ code: code ?? 1 });
    });
  });

  const exited = leaderExit.then(async (exit) => {
    if (child.pid !== undefined) await killGroup(child.pid, options.killGraceMs);
    // Output still buffered in the pipes is delivered before the caller reads the tail; a process
    // that left the group (setsid) may hold them open, so this wait is bounded too.
    if (stdout.readable || stderr.readable) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise((resolve) => child.once("close", resolve)),
        new Promise((resolve) => {
          timer = setTimeout(resolve, options.killGraceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    return exit;
  });

  return {
    spawned,
    exited,
    async stop() {
      if (child.pid !== undefined) await killGroup(child.pid, options.killGraceMs);
      return exited;
    },
  };
}
