import { spawn } from "node:child_process";
import type { Log } from "./go-build.ts";

interface Running {
  what: string;
  done: Promise<unknown>;
}

const inFlight = new Set<Running>();
/** Said once each, however often Ctrl-C is pressed. */
const told = new WeakSet<Running>();
/**
 * Set once the process has begun to exit: a step waited for (apt-get update) must not be followed
 * by the next one (apt-get install), which would run on after this process has gone.
 */
let settling = false;

/**
 * What a command `runToCompletion` ran ends with when this process began to stop while it ran: it
 * finished, but what would follow it (the next install step, a spawn no Ctrl-C reached) must not
 * start, since the process exits once it has settled.
 */
export class StoppingError extends Error {}

/**
 * Runs a command that must not stop half-way (apt-get: an interrupted dpkg leaves the machine's
 * package database half-configured, and every later apt-get fails until someone repairs it). It runs
 * in a process group of its own, so the Ctrl-C a terminal sends to its foreground group does not
 * reach it, and `settleUninterruptible` lets the process that started it wait for it before exiting.
 */
export function runToCompletion(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; maxBuffer?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  const what = [command, ...args].join(" ");
  if (settling)
    return Promise.reject(new StoppingError(`not starting \`${what}\`: this process is stopping`));
  const done = new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const limit = options.maxBuffer ?? 1024 * 1024;
    const child = spawn(command, args, {
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-limit);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-limit);
    });
    child.on("error", (err) => reject(Object.assign(err, { stdout, stderr })));
    child.on("close", (code, signal) => {
      if (code === 0 && settling) {
        reject(new StoppingError(`\`${what}\` finished; going no further: this process is stopping`));
      } else if (code === 0) resolve({ stdout, stderr });
      else {
        const err = new Error(`${command} ${args.join(" ")} exited with ${signal ?? code}`);
        reject(Object.assign(err, { stdout, stderr }));
      }
    });
  });
  const running = { what, done };
  inFlight.add(running);
  void done.then(
    () => inFlight.delete(running),
    () => inFlight.delete(running),
  );
  return done;
}

/**
 * Waits for every command `runToCompletion` started, saying which, before a process exits; from
 * then on it starts no more.
 */
export async function settleUninterruptible(log: Log): Promise<void> {
  settling = true;
  for (const running of [...inFlight]) {
    if (!told.has(running)) {
      told.add(running);
      log(`[agentyard] waiting for \`${running.what}\` to finish, so that nothing is left half-installed`);
    }
    await running.done.catch(() => undefined);
  }
}
