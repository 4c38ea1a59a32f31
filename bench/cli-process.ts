import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { SERVER_NODE_FLAGS } from "../cli/node-flags.ts";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import { type ResidentMemory, residentMemory } from "./memory-status.ts";
import { sumSamples } from "./metrics-text.ts";

const MAX_RESTARTS = 5;

/** The V8 heap (used of total) and the memory V8 knows of outside it (Buffers, mostly). */
export interface HeapSize {
  usedBytes: number;
  totalBytes: number;
  externalBytes: number;
}

/** The CLI the image's ENTRYPOINT runs. */
export const CLI = join(projectRoot, "cli", "agentyard.ts");

/**
 * An `agentyard` command as a user runs it, in a process of its own with the image's V8 flags, so
 * that its memory is its own (/proc/<pid>/status) and the audit log tells its requests apart by
 * user agent. A process that exits on its own (an operator that lost its Lease does, by design) is
 * started again with the same arguments, as a Deployment's kubelet would, and counted in `restarts`.
 * Its output goes to logs/<name>.log in the devcluster's folder.
 */
export class CliProcess {
  readonly name: string;
  /** Where it serves /readyz and /metrics. */
  readonly url: string;
  /** Times the process exited on its own and was started again. */
  restarts = 0;
  /** performance.now() when the first process was spawned. */
  readonly spawnedAt: number;
  private child!: ChildProcess;
  private exited!: Promise<void>;
  private stopping = false;
  private readonly args: string[];
  private readonly logFile: string;

  /** `program` is the script node runs: cli/agentyard.ts, or a bundle of one of its commands. */
  constructor(cluster: DevCluster, name: string, program: string, cliArgs: readonly string[], url: string) {
    this.name = name;
    this.url = url;
    this.logFile = join(cluster.dir, "logs", `${name}.log`);
    this.args = [
      // Under setpriv, as the devcluster's own processes: a benchmark killed from outside takes its
      // processes with it. setpriv execs node, so the pid is the command's own.
      "--pdeathsig",
      "SIGKILL",
      "--",
      process.execPath,
      ...SERVER_NODE_FLAGS,
      program,
      ...cliArgs,
    ];
    this.spawnedAt = performance.now();
    this.launch();
  }

  private launch(): void {
    const log = createWriteStream(this.logFile, { flags: "a" });
    const child = spawn("setpriv", this.args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        // A process that keeps exiting is broken, not unlucky: give up after a few.
        if (!this.stopping && this.restarts < MAX_RESTARTS) {
          this.restarts++;
          process.stderr.write(
            `[bench] ${this.name} exited (${signal ?? `code ${code}`}); starting it again (see ${this.logFile})\n`,
          );
          this.launch();
        }
        resolve();
      }),
    );
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  /** Resolves with the milliseconds from spawn until its /readyz answers 200. */
  async ready(timeoutMs = 300_000): Promise<number> {
    await waitFor(
      `${this.name} to answer /readyz`,
      async () => {
        const res = await fetch(`${this.url}/readyz`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      {
        timeoutMs,
        intervalMs: 50,
        abort: async () =>
          this.child.exitCode !== null ? `it exited with code ${this.child.exitCode}` : undefined,
      },
    );
    return performance.now() - this.spawnedAt;
  }

  /** Its /metrics, in Prometheus text format. */
  async metrics(): Promise<string> {
    const res = await fetch(`${this.url}/metrics`);
    if (!res.ok) throw new Error(`${this.name} answered /metrics with HTTP ${res.status}`);
    return res.text();
  }

  /** Its V8 heap, from the process metrics it serves: what of its RSS is JavaScript objects. */
  async heap(): Promise<HeapSize> {
    const text = await this.metrics();
    return {
      usedBytes: sumSamples(text, "nodejs_heap_size_used_bytes"),
      totalBytes: sumSamples(text, "nodejs_heap_size_total_bytes"),
      externalBytes: sumSamples(text, "nodejs_external_memory_bytes"),
    };
  }

  memory(): Promise<ResidentMemory> {
    return residentMemory(this.pid);
  }

  /** SIGTERM, as a Deployment's rollout sends; SIGKILL if it has not exited 30 s later. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}
