import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import { freePort } from "../devcluster/ports.ts";
import { operatorUserAgent } from "../operator/main.ts";
import { type ResidentMemory, residentMemory } from "./memory-status.ts";
import { sumSamples } from "./metrics-text.ts";

export const LEASE_NAMESPACE = "agentyard-system";

/**
 * The operator as a user runs it: `agentyard operator` in a process of its own, so that its memory
 * is its own (/proc/<pid>/status) and the audit log tells its writes apart by user agent.
 */
export class OperatorProcess {
  readonly identity: string;
  readonly userAgent: string;
  private readonly child: ChildProcess;
  private readonly port: number;
  private readonly exited: Promise<number | null>;
  /** performance.now() when the process was spawned. */
  readonly spawnedAt: number;

  private constructor(identity: string, child: ChildProcess, port: number) {
    this.identity = identity;
    this.userAgent = operatorUserAgent(identity);
    this.child = child;
    this.port = port;
    this.spawnedAt = performance.now();
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Spawns the operator against `cluster`; its output goes to logs/operator-<identity>.log there. */
  static async spawn(cluster: DevCluster, identity: string): Promise<OperatorProcess> {
    const port = await freePort();
    const log = createWriteStream(join(cluster.dir, "logs", `operator-${identity}.log`));
    // Under setpriv, as the devcluster's own processes: a benchmark killed from outside takes its
    // operator with it. setpriv execs node, so the pid is the operator's own.
    const child = spawn(
      "setpriv",
      [
        "--pdeathsig",
        "SIGKILL",
        "--",
        process.execPath,
        join(projectRoot, "cli", "agentyard.ts"),
        "operator",
        `--kubeconfig=${cluster.kubeconfigPath()}`,
        `--identity=${identity}`,
        `--lease-namespace=${LEASE_NAMESPACE}`,
        `--metrics-address=127.0.0.1:${port}`,
        "--log-level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new OperatorProcess(identity, child, port);
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
  async heap(): Promise<{ usedBytes: number; totalBytes: number }> {
    const text = await this.metrics();
    return {
      usedBytes: sumSamples(text, "nodejs_heap_size_used_bytes"),
      totalBytes: sumSamples(text, "nodejs_heap_size_total_bytes"),
    };
  }

  memory(): Promise<ResidentMemory> {
    return residentMemory(this.pid);
  }

  /** SIGTERM, as a Deployment's rollout sends: the operator releases its Lease and exits. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}
