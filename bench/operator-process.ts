import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { SERVER_NODE_FLAGS } from "../cli/node-flags.ts";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import { freePort } from "../devcluster/ports.ts";
import { operatorUserAgent } from "../operator/main.ts";
import { type ResidentMemory, residentMemory } from "./memory-status.ts";
import { sumSamples } from "./metrics-text.ts";

export const LEASE_NAMESPACE = "agentyard-system";
const MAX_RESTARTS = 5;

/** The V8 heap (used of total) and the memory V8 knows of outside it (Buffers, mostly). */
export interface HeapSize {
  usedBytes: number;
  totalBytes: number;
  externalBytes: number;
}

/**
 * The operator as a user runs it: `agentyard operator` in a process of its own, with the image's
 * V8 flags, so that its memory is its own (/proc/<pid>/status) and the audit log tells its writes
 * apart by user agent. A process
 * that exits on its own (one that lost its Lease does, by design) is started again with the same
 * identity, as a Deployment's kubelet would, and counted in `restarts`.
 */
export class OperatorProcess {
  readonly identity: string;
  readonly userAgent: string;
  /** Times the process exited on its own and was started again. */
  restarts = 0;
  /** performance.now() when the first process was spawned. */
  readonly spawnedAt: number;
  private child!: ChildProcess;
  private exited!: Promise<void>;
  private stopping = false;
  private readonly args: string[];
  private readonly port: number;
  private readonly logFile: string;

  private constructor(cluster: DevCluster, identity: string, port: number) {
    this.identity = identity;
    this.userAgent = operatorUserAgent(identity);
    this.port = port;
    this.logFile = join(cluster.dir, "logs", `operator-${identity}.log`);
    this.args = [
      // Under setpriv, as the devcluster's own processes: a benchmark killed from outside takes its
      // operator with it. setpriv execs node, so the pid is the operator's own.
      "--pdeathsig",
      "SIGKILL",
      "--",
      process.execPath,
      ...SERVER_NODE_FLAGS,
      join(projectRoot, "cli", "agentyard.ts"),
      "operator",
      `--kubeconfig=${cluster.kubeconfigPath()}`,
      `--identity=${identity}`,
      `--lease-namespace=${LEASE_NAMESPACE}`,
      `--metrics-address=127.0.0.1:${port}`,
      "--log-level=warn",
    ];
    this.spawnedAt = performance.now();
    this.launch();
  }

  /** Spawns the operator against `cluster`; its output goes to logs/operator-<identity>.log there. */
  static async spawn(cluster: DevCluster, identity: string): Promise<OperatorProcess> {
    return new OperatorProcess(cluster, identity, await freePort());
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
            `[bench] operator ${this.identity} exited (${signal ?? `code ${code}`}); starting it again (see ${this.logFile})\n`,
          );
          this.launch();
        }
        resolve();
      }),
    );
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("the operator process did not start");
    return this.child.pid;
  }

  /**
   * Resolves with the milliseconds from spawn until /readyz answers 200: the health server starts
   * once every informer has listed, so this is the time until the caches are synced.
   */
  async ready(timeoutMs = 300_000): Promise<number> {
    await waitFor(
      `operator ${this.identity} to answer /readyz`,
      async () => {
        const res = await fetch(`http://127.0.0.1:${this.port}/readyz`).catch(() => undefined);
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
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    if (!res.ok) throw new Error(`operator ${this.identity} answered /metrics with HTTP ${res.status}`);
    return res.text();
  }

  /** Resolves with the milliseconds from spawn until it holds the Lease (its leader gauge is 1). */
  async leading(timeoutMs = 60_000): Promise<number> {
    await waitFor(
      `operator ${this.identity} to lead`,
      async () => (sumSamples(await this.metrics(), "agentyard_leader") === 1 ? true : undefined),
      { timeoutMs, intervalMs: 50 },
    );
    return performance.now() - this.spawnedAt;
  }

  /** The reconciles of one controller so far, from /metrics. */
  async reconciles(controller: string): Promise<number> {
    return sumSamples(await this.metrics(), "agentyard_reconcile_duration_seconds_count", { controller });
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

  /** SIGTERM, as a Deployment's rollout sends: the operator releases its Lease and exits. */
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
