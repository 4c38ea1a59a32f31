import { type BackoffOptions, backoffDelay } from "@agentyard/kube-runtime";
import type { LaunchSpec } from "./container-spec.ts";
import { type ProbeTarget, runProbe } from "./probes.ts";
import { type ContainerProcess, type Exit, killMarked, startProcess, stopContainer } from "./processes.ts";
import { timestamp } from "./status.ts";
import type { Container, ContainerState, ContainerStatus } from "./types.ts";

/** A container that ran this long without failing starts its next back-off from the beginning again. */
const STABLE_MS = 10 * 60_000;

/**
 * One container of a pod on this machine, across its restarts: its process, its state as the pod's
 * status shows it, its restart back-off and its readiness.
 */
export class ContainerRun {
  readonly container: Container;
  private readonly marker: string;
  private readonly logFile: string;
  private restartCount: number;
  private everStarted = false;
  private state: ContainerState = { waiting: { reason: "ContainerCreating" } };
  private lastState: ContainerState | Record<string, never> = {};
  private proc: ContainerProcess | undefined;
  private startedAt = 0;
  private exit: (Exit & { at: number }) | undefined;
  private crashes = 0;
  /** No start before this time (a restart back-off, or a retry after a setup error). */
  private notBefore = 0;
  /** Whether to look again at notBefore by itself; otherwise when the pod is woken (e.g. a program got ready). */
  private timed = false;
  private finished = false;
  private ready = false;
  private probeAt = 0;
  private successes = 0;
  private failures = 0;
  private target: ProbeTarget | undefined;

  constructor(container: Container, options: { marker: string; logFile: string; restartCount: number }) {
    this.container = container;
    this.marker = options.marker;
    this.logFile = options.logFile;
    this.restartCount = options.restartCount;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  /** Whether it should be started now: not running, not done for good, and no back-off pending. */
  due(now: number): boolean {
    return !this.proc && !this.finished && now >= this.notBefore;
  }

  /** Shown while the container cannot start; `retryAt` is when to try again, else at the next wake-up. */
  wait(reason: string, message: string, retryAt?: number): void {
    this.state = { waiting: { reason, message } };
    this.notBefore = retryAt ?? 0;
    this.timed = retryAt !== undefined;
  }

  /** Starts the process; `onExit` is told when it ends (then `observe` takes the exit in). */
  async start(spec: LaunchSpec, target: ProbeTarget, onExit: () => void): Promise<void> {
    // Whatever a previous run of this container left behind goes first, as with a new container.
    await killMarked(this.marker);
    const proc = startProcess(spec.argv, { cwd: spec.cwd, env: spec.env, logFile: this.logFile });
    if (this.everStarted) this.restartCount++;
    this.everStarted = true;
    this.proc = proc;
    this.exit = undefined;
    this.target = target;
    this.startedAt = Date.now();
    this.state = { running: { startedAt: timestamp(this.startedAt) } };
    const probe = this.container.readinessProbe;
    this.ready = probe === undefined;
    this.probeAt = this.startedAt + (probe?.initialDelaySeconds ?? 0) * 1000;
    this.successes = 0;
    this.failures = 0;
    void proc.exited.then(async (exit) => {
      if (this.proc !== proc) return;
      this.exit = { ...exit, at: Date.now() };
      // A container ends with its main process, as its PID namespace would.
      await killMarked(this.marker);
      onExit();
    });
  }

  /** Takes in an exit: the container is terminated for good, or waits out its back-off to restart. */
  observe(restartPolicy: string, podName: string, backoff: BackoffOptions): void {
    const exit = this.exit;
    if (!this.proc || !exit) return;
    const terminated = {
      exitCode: exit.code,
      ...(exit.signal !== undefined ? { signal: exit.signal } : {}),
      reason: exit.code === 0 ? "Completed" : "Error",
      startedAt: timestamp(this.startedAt),
      finishedAt: timestamp(exit.at),
      containerID: this.containerID(),
    };
    this.proc = undefined;
    this.exit = undefined;
    this.ready = false;
    const restart = restartPolicy === "Always" || (restartPolicy === "OnFailure" && exit.code !== 0);
    if (!restart) {
      this.state = { terminated };
      this.finished = true;
      return;
    }
    this.crashes = exit.at - this.startedAt >= STABLE_MS ? 1 : this.crashes + 1;
    const delay = backoffDelay(this.crashes, backoff);
    this.notBefore = exit.at + delay;
    this.timed = true;
    this.lastState = { terminated };
    this.state = {
      waiting: {
        reason: "CrashLoopBackOff",
        message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.container.name} pod=${podName}`,
      },
    };
  }

  /** Runs the readiness probe when one is due; resolves when the container's readiness is known. */
  async probe(now: number): Promise<void> {
    const probe = this.container.readinessProbe;
    if (!probe || !this.proc || !this.target || now < this.probeAt) return;
    this.probeAt = now + (probe.periodSeconds ?? 10) * 1000;
    if (await runProbe(probe, this.target)) {
      this.failures = 0;
      if (++this.successes >= (probe.successThreshold ?? 1)) this.ready = true;
    } else {
      this.successes = 0;
      if (++this.failures >= (probe.failureThreshold ?? 3)) this.ready = false;
    }
  }

  /** When this container next needs a look (a back-off ending, a probe due), if ever. */
  nextAt(): number | undefined {
    if (this.proc) return this.container.readinessProbe ? this.probeAt : undefined;
    return this.finished || !this.timed ? undefined : this.notBefore;
  }

  status(): ContainerStatus {
    const s: ContainerStatus = {
      name: this.container.name,
      image: this.container.image,
      imageID: "",
      ready: this.proc !== undefined && this.ready,
      started: this.proc !== undefined,
      restartCount: this.restartCount,
      state: this.state,
      lastState: this.lastState,
    };
    if (this.proc) s.containerID = this.containerID();
    return s;
  }

  /** Stops the process (SIGTERM, SIGKILL after the grace); the container stays stopped. */
  async stop(graceMs: number): Promise<void> {
    this.finished = true;
    const proc = this.proc;
    if (proc) await stopContainer(proc, this.marker, graceMs);
  }

  private containerID(): string {
    return `agentyard-local://${this.proc?.pid ?? 0}`;
  }
}
