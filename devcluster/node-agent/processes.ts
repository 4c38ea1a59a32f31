import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { constants } from "node:os";

/**
 * A container's processes on this machine. Each container gets this variable with a value of its
 * own; every process it starts inherits it, so the whole tree is found again (by reading
 * /proc/<pid>/environ) even after processes moved to other process groups or sessions, or were
 * orphaned by the death of their parent. That is what a container's PID namespace gives a kubelet.
 */
export const MARKER_ENV = "AGENTYARD_LOCAL_CONTAINER";

export interface Exit {
  /** The exit code; 128 + the signal's number when a signal ended the process, as shells report. */
  code: number;
  signal?: number;
}

export interface ContainerProcess {
  pid: number;
  exited: Promise<Exit>;
}

/**
 * Starts a container's main process as the leader of a new session and process group, under
 * `setpriv --pdeathsig SIGKILL` so that it dies with the node agent. Output goes to `logFile`.
 */
export function startProcess(
  argv: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
): ContainerProcess {
  const log = openSync(options.logFile, "a");
  try {
    const child = spawn("setpriv", ["--pdeathsig", "SIGKILL", "--", ...argv], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", log, log],
    });
    const exited = new Promise<Exit>((resolve) => {
      child.on("exit", (code, signal) => {
        const signo = signal ? constants.signals[signal] : undefined;
        resolve(signo === undefined ? { code: code ?? 1 } : { code: 128 + signo, signal: signo });
      });
      // setpriv itself missing: the same answer a failed exec gets.
      child.on("error", () => resolve({ code: 127 }));
    });
    return { pid: child.pid ?? -1, exited };
  } finally {
    closeSync(log);
  }
}

/** Live (not zombie) processes whose environment carries the marker, or a marker starting with `prefix`. */
export async function markedProcesses(marker: string, { prefix = false } = {}): Promise<number[]> {
  const needle = `${MARKER_ENV}=${marker}`;
  const found: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const environ = await readFile(`/proc/${name}/environ`, "latin1").catch(() => "");
    const entry = environ.split("\0").find((e) => e.startsWith(needle));
    if (entry === undefined || (!prefix && entry !== needle)) continue;
    if (await alive(Number(name))) found.push(Number(name));
  }
  return found;
}

async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // "pid (comm) state ...": comm may hold spaces and parentheses, so read after the last ")".
  return stat !== "" && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** SIGKILL to every process of the container, until none is left. */
export async function killMarked(marker: string, options: { prefix?: boolean } = {}): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const pids = await markedProcesses(marker, options);
    if (pids.length === 0) return;
    for (const pid of pids) signal(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Stops a container as a kubelet does: SIGTERM to its main process group, then, once the main
 * process has exited or the grace period is over, SIGKILL to whatever of its tree is left.
 */
export async function stopContainer(proc: ContainerProcess, marker: string, graceMs: number): Promise<void> {
  signal(-proc.pid, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([proc.exited, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  signal(-proc.pid, "SIGKILL");
  await killMarked(marker);
  await proc.exited;
}
