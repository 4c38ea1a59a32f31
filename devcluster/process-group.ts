import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";

export interface ProcessGroup {
  readonly running: boolean;
  /** The end of its log, for error messages. */
  tail(lines?: number): Promise<string>;
  /** SIGTERM to the whole group, SIGKILL after the grace period; resolves when the leader exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * A program as the leader of its own process group, so that stopping it reaches the children it
 * runs; `setpriv --pdeathsig` makes the kernel kill it when the process that started it dies, even
 * by SIGKILL. Its stdout and stderr go to `logFile`.
 */
export function startProcessGroup(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; logFile: string },
): ProcessGroup {
  const out = createWriteStream(options.logFile, { flags: "a" });
  const child = spawn("setpriv", ["--pdeathsig", "SIGKILL", "--", command, ...args], {
    env: options.env,
    cwd: options.cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  let running = true;
  const exited = new Promise<void>((resolve) => {
    child.on("exit", () => resolve());
    child.on("error", (err) => {
      out.write(`failed to start ${command}: ${err.message}\n`);
      resolve();
    });
  }).then(() => {
    running = false;
  });
  const signal = (name: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, name);
    } catch {
      // The group is gone already.
    }
  };
  return {
    get running() {
      return running;
    },
    tail: async (lines = 30) =>
      (await readFile(options.logFile, "utf8").catch(() => "")).split("\n").slice(-lines).join("\n"),
    stop: async (graceMs = 5000) => {
      if (running) {
        signal("SIGTERM");
        const timer = setTimeout(() => signal("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      await new Promise<void>((resolve) => out.end(resolve));
    },
  };
}
