import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { readFile } from "node:fs/promises";

/**
 * One control-plane process. It is started under `setpriv --pdeathsig SIGKILL`, so the kernel
 * kills it when the process that started it dies, even by SIGKILL: no stray processes survive a
 * killed test run.
 */
export class Component {
  readonly name: string;
  readonly logFile: string;
  private readonly command: string;
  private readonly env: NodeJS.ProcessEnv;
  private args: string[];
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    name: string,
    command: string,
    args: string[],
    logFile: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.logFile = logFile;
    this.env = env;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  setArgs(args: string[]): void {
    this.args = args;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.log = createWriteStream(this.logFile, { flags: "a" });
    const child = spawn("setpriv", ["--pdeathsig", "SIGKILL", "--", this.command, ...this.args], {
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) => {
      child.on("exit", (code) => resolve(code));
      child.on("error", (err) => {
        this.log?.write(`failed to start ${this.command}: ${err.message}\n`);
        resolve(-1);
      });
    });
    this.child = child;
  }

  /** Resolves with the exit code when the process ends (also if it crashes on its own). */
  whenExited(): Promise<number | null> {
    return this.exited;
  }

  /** Sends `signal` and, for one that ends the process, resolves when it has exited (fault tests). */
  async kill(signal: "SIGKILL" | "SIGTERM" | "SIGSTOP" | "SIGCONT"): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(signal);
    if (signal === "SIGKILL" || signal === "SIGTERM") await this.exited;
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
  }

  /** The end of the component's log, for error messages. */
  async tail(lines = 30): Promise<string> {
    const text = await readFile(this.logFile, "utf8").catch(() => "");
    return text.split("\n").slice(-lines).join("\n");
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
