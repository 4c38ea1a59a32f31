import { type ClusterClient, statusCode } from "./client.ts";
import { type Logger, silentLogger } from "./log.ts";
import { sleep } from "./sleep.ts";
import { microTime } from "./time.ts";

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  /** Unique per process (pod name): written into the Lease as its holder. */
  identity: string;
  /** How long a holder's claim lasts without renewal; standbys take over after it. */
  leaseDurationMs?: number;
  /** A leader that could not renew for this long stops leading (must be below leaseDurationMs). */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew. */
  retryPeriodMs?: number;
  log?: Logger;
}

export interface LeaderCallbacks {
  /** Called without waiting for it: renewals go on while it runs. */
  onStartedLeading(): void | Promise<void>;
  /** Awaited before campaigning again, so a new term never overlaps the end of the last one. */
  onStoppedLeading(): void | Promise<void>;
}

type Attempt = "acquired" | "held" | "failed";

/** A Lease as JSON: MicroTime fields stay strings. */
interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/**
 * client-go's leader election on a coordination.k8s.io/v1 Lease. Expiry is judged by the local
 * clock from when this process last saw the Lease change, never from the timestamps in it, so
 * skewed clocks cannot make two leaders. Writes carry the resourceVersion read, so of two
 * candidates racing for an expired Lease exactly one wins.
 */
export class LeaderElector {
  private readonly client: ClusterClient;
  private readonly namespace: string;
  private readonly name: string;
  private readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: Logger;
  private readonly stopping = new AbortController();
  private leading = false;
  private campaign: Promise<void> | undefined;
  private lease: Lease | undefined;
  private observed: { resourceVersion: string | undefined; at: number } | undefined;

  constructor(client: ClusterClient, options: LeaderElectorOptions) {
    this.client = client;
    this.namespace = options.namespace;
    this.name = options.name;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) {
      throw new Error("leader election: renewDeadlineMs must be shorter than leaseDurationMs");
    }
    this.log = (options.log ?? silentLogger()).child({ lease: `${this.namespace}/${this.name}` });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns until stopped: leads while it holds the Lease, stands by otherwise. */
  run(callbacks: LeaderCallbacks): Promise<void> {
    this.campaign ??= this.loop(callbacks);
    return this.campaign;
  }

  /** Stops campaigning and renewing; the Lease stays as it is, so a standby waits for it to expire. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.campaign;
  }

  /** Stops, and clears the holder so a standby takes over at once: the graceful-shutdown path. */
  async release(): Promise<void> {
    await this.stop();
    const lease = this.lease;
    if (!lease?.spec || lease.spec.holderIdentity !== this.identity) return;
    const now = microTime(Date.now());
    const { holderIdentity: _, ...rest } = lease.spec;
    try {
      this.lease = await this.write("PUT", {
        ...lease,
        spec: { ...rest, leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      });
      this.log.info("released the lease");
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message },
        "could not release the lease; standbys wait for it to expire",
      );
    }
  }

  private async loop(callbacks: LeaderCallbacks): Promise<void> {
    const stopped = this.stopping.signal;
    while (!stopped.aborted) {
      while (!stopped.aborted && (await this.tryAcquireOrRenew()) !== "acquired") {
        await sleep(this.retryPeriodMs * (1 + 0.2 * Math.random()), stopped);
      }
      if (stopped.aborted) return;
      this.setLeading(true);
      this.log.info({ identity: this.identity }, "acquired the lease: leading");
      Promise.resolve()
        .then(() => callbacks.onStartedLeading())
        .catch((err) => this.log.error({ err }, "onStartedLeading threw"));

      let renewed = Date.now();
      while (!stopped.aborted) {
        await sleep(this.retryPeriodMs, stopped);
        if (stopped.aborted) break;
        const attempt = await this.tryAcquireOrRenew();
        if (attempt === "acquired") renewed = Date.now();
        else if (attempt === "held" || Date.now() - renewed >= this.renewDeadlineMs) {
          this.log.warn({ attempt }, "lost the lease: no longer leading");
          break;
        }
      }
      this.setLeading(false);
      try {
        await callbacks.onStoppedLeading();
      } catch (err) {
        this.log.error({ err }, "onStoppedLeading threw");
      }
    }
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    try {
      return await this.attempt();
    } catch (err) {
      return this.failed(err);
    }
  }

  private async attempt(): Promise<Attempt> {
    const now = Date.now();
    let lease: Lease;
    try {
      lease = await this.client.request<Lease>("GET", this.path, { timeoutMs: this.requestTimeoutMs });
    } catch (err) {
      if (statusCode(err) === 404) return this.create(now);
      throw err;
    }
    const spec = lease.spec ?? {};
    if (this.observed?.resourceVersion !== lease.metadata?.resourceVersion) {
      this.observed = { resourceVersion: lease.metadata?.resourceVersion, at: now };
    }
    const holder = spec.holderIdentity;
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    const observedAt = this.observed?.at ?? now;
    if (holder && holder !== this.identity && observedAt + durationMs > now) {
      this.lease = lease;
      return "held";
    }
    const ours = holder === this.identity;
    const stamp = microTime(now);
    this.lease = await this.write("PUT", {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        renewTime: stamp,
        acquireTime: ours ? spec.acquireTime : stamp,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
      },
    });
    this.observed = { resourceVersion: this.lease.metadata?.resourceVersion, at: now };
    return "acquired";
  }

  private async create(now: number): Promise<Attempt> {
    const stamp = microTime(now);
    this.lease = await this.write("POST", {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        acquireTime: stamp,
        renewTime: stamp,
        leaseTransitions: 0,
      },
    });
    this.observed = { resourceVersion: this.lease.metadata?.resourceVersion, at: now };
    return "acquired";
  }

  private write(verb: "POST" | "PUT", lease: Lease): Promise<Lease> {
    const path = verb === "POST" ? this.path.slice(0, this.path.lastIndexOf("/")) : this.path;
    return this.client.request<Lease>(verb, path, { body: lease, timeoutMs: this.requestTimeoutMs });
  }

  private failed(err: unknown): Attempt {
    // 409: another candidate wrote first; it is the leader now, or will be.
    if (statusCode(err) !== 409) this.log.warn({ err: (err as Error).message }, "lease request failed");
    return "failed";
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/${this.name}`;
  }

  /** A request may not outlive the time left to renew in. */
  private get requestTimeoutMs(): number {
    return Math.max(1000, Math.floor(this.renewDeadlineMs / 2));
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.client.identity.metrics.leader.set({ lease: `${this.namespace}/${this.name}` }, leading ? 1 : 0);
  }
}
