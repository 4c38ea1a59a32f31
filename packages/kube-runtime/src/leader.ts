import { type ClusterClient, statusCode } from "./client.ts";
import { Deadline, monotonicNow } from "./deadline.ts";
import { type Logger, silentLogger } from "./log.ts";
import { sleep } from "./sleep.ts";
import { microTime } from "./time.ts";

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  /** Unique per process (pod name): written into the Lease as its holder. */
  identity: string;
  /** How long a standby waits, from when it last saw the Lease change, before it takes the Lease. */
  leaseDurationMs?: number;
  /**
   * How long after its last successful renewal a leader stops acting: its term signal aborts, a
   * renewal in flight included. Shorter than leaseDurationMs, so that it stops before a standby may lead.
   */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire (jittered by up to JITTER_FACTOR) or renew. */
  retryPeriodMs?: number;
  /**
   * Campaign again after a term ended (default true). False ends `run()` after the first term, as
   * client-go's Run does, for a process that exits then and is restarted as a standby.
   */
  recampaign?: boolean;
  log?: Logger;
}

export interface LeaderCallbacks {
  /**
   * Called without waiting for it, with the term's signal: it aborts the moment this replica may no
   * longer act (the Lease taken, the renew deadline passed, or stop), and the work it started must end.
   */
  onStartedLeading(term: AbortSignal): void | Promise<void>;
  /** Awaited before campaigning again, so a new term never overlaps the end of the last one. */
  onStoppedLeading(): void | Promise<void>;
}

/** client-go's: a standby's pause between attempts is retryPeriod plus up to this much more of it. */
export const JITTER_FACTOR = 1.2;

const DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

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
 * client-go's leader election on a coordination.k8s.io/v1 Lease, with its rules
 * (renewDeadline < leaseDuration, retryPeriod × JITTER_FACTOR < renewDeadline). Every duration is
 * measured on this process's monotonic clock, never from the timestamps in the Lease, so skewed or
 * stepped wall clocks cannot make two leaders: a standby takes over only once the Lease's record
 * (holder, renewTime, …) has not changed for leaseDuration of its own observation, and a leader's
 * term ends renewDeadline after the start of its last successful renewal — each attempt is cut off
 * when that time comes. Writes carry the resourceVersion read, so of two candidates racing for an
 * expired Lease exactly one wins.
 */
export class LeaderElector {
  private readonly client: ClusterClient;
  private readonly namespace: string;
  private readonly name: string;
  private readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly recampaign: boolean;
  private readonly log: Logger;
  private readonly stopping = new AbortController();
  private term: Deadline | undefined;
  private campaign: Promise<void> | undefined;
  private lease: Lease | undefined;
  /** The Lease's record as last seen, and when (monotonic) it was first seen so. */
  private observed: { record: string; at: number } | undefined;

  constructor(client: ClusterClient, options: LeaderElectorOptions) {
    this.client = client;
    this.namespace = options.namespace;
    this.name = options.name;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? DEFAULTS.leaseDurationMs;
    this.renewDeadlineMs = options.renewDeadlineMs ?? DEFAULTS.renewDeadlineMs;
    this.retryPeriodMs = options.retryPeriodMs ?? DEFAULTS.retryPeriodMs;
    this.recampaign = options.recampaign ?? true;
    validateTimings(this.leaseDurationMs, this.renewDeadlineMs, this.retryPeriodMs);
    if (!this.identity) throw new Error("leader election: identity must not be empty");
    this.log = (options.log ?? silentLogger()).child({ lease: `${this.namespace}/${this.name}` });
  }

  /** Whether a term is running; false the moment its deadline passes, even before its timer fires. */
  isLeader(): boolean {
    return this.term !== undefined && !this.term.check();
  }

  /** Campaigns until stopped (or for one term, without `recampaign`): leads while it holds the Lease. */
  run(callbacks: LeaderCallbacks): Promise<void> {
    this.campaign ??= this.loop(callbacks);
    return this.campaign;
  }

  /**
   * Ends the current term at once, as if its deadline had passed: the API server said that another
   * replica holds the Lease (`reason`), which this replica's own view may not know yet.
   */
  endTerm(reason: string): void {
    this.term?.end(reason);
  }

  /** Stops campaigning and ends the term; the Lease stays as it is, so a standby waits for it to expire. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.term?.end("stopped");
    await this.campaign;
  }

  /**
   * Stops, and when it was leading clears the holder so that a standby takes over at once: the
   * graceful-shutdown path. A replica whose term already ended writes nothing.
   */
  async release(): Promise<void> {
    const leading = this.isLeader();
    await this.stop();
    const lease = this.lease;
    if (!leading || !lease?.spec || lease.spec.holderIdentity !== this.identity) return;
    const now = microTime(Date.now());
    const { holderIdentity: _, ...rest } = lease.spec;
    try {
      this.lease = await this.write(
        "PUT",
        { ...lease, spec: { ...rest, leaseDurationSeconds: 1, renewTime: now, acquireTime: now } },
        AbortSignal.timeout(this.renewDeadlineMs),
      );
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
    do {
      const term = await this.acquire(stopped);
      if (!term) return;
      this.term = term;
      this.setLeading(true);
      this.log.info({ identity: this.identity }, "acquired the lease: leading");
      Promise.resolve()
        .then(() => callbacks.onStartedLeading(term.signal))
        .catch((err) => this.log.error({ err }, "onStartedLeading threw"));
      await this.renew(term);
      this.setLeading(false);
      this.log.warn({ reason: (term.signal.reason as Error).message }, "no longer leading");
      try {
        await callbacks.onStoppedLeading();
      } catch (err) {
        this.log.error({ err }, "onStoppedLeading threw");
      }
      this.term = undefined;
    } while (this.recampaign && !stopped.aborted);
  }

  /** Tries until it holds the Lease (the new term) or is stopped (undefined). */
  private async acquire(stopped: AbortSignal): Promise<Deadline | undefined> {
    while (!stopped.aborted) {
      const started = monotonicNow();
      const attempt = AbortSignal.any([stopped, AbortSignal.timeout(this.renewDeadlineMs)]);
      if ((await this.tryAcquireOrRenew(attempt)) === "acquired" && !stopped.aborted) {
        return new Deadline(started + this.renewDeadlineMs, "the renew deadline passed");
      }
      await sleep(this.retryPeriodMs * (1 + JITTER_FACTOR * Math.random()), stopped);
    }
    return undefined;
  }

  /** Renews every retry period until the term ends: the Lease taken, the deadline passed, or stop. */
  private async renew(term: Deadline): Promise<void> {
    while (!term.check()) {
      await sleep(this.retryPeriodMs, term.signal);
      if (term.check()) return;
      const started = monotonicNow();
      const attempt = await this.tryAcquireOrRenew(term.signal);
      if (attempt === "acquired") term.extend(started + this.renewDeadlineMs);
      else if (attempt === "held") term.end("another replica holds the lease");
    }
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<Attempt> {
    try {
      return await this.attempt(signal);
    } catch (err) {
      return this.failed(err, signal);
    }
  }

  private async attempt(signal: AbortSignal): Promise<Attempt> {
    let lease: Lease;
    try {
      lease = await this.client.request<Lease>("GET", this.path, { signal });
    } catch (err) {
      if (statusCode(err) === 404) return this.create(signal);
      throw err;
    }
    const spec = lease.spec ?? {};
    this.observe(spec);
    const holder = spec.holderIdentity;
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    const observedAt = this.observed?.at ?? monotonicNow();
    if (holder && holder !== this.identity && observedAt + durationMs > monotonicNow()) {
      this.lease = lease;
      return "held";
    }
    const ours = holder === this.identity;
    // Wall-clock stamps are for people and tools reading the Lease; no decision here reads them.
    const stamp = microTime(Date.now());
    const written = await this.write(
      "PUT",
      {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: this.identity,
          leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
          renewTime: stamp,
          acquireTime: ours ? spec.acquireTime : stamp,
          leaseTransitions: (spec.leaseTransitions ?? 0) + (ours ? 0 : 1),
        },
      },
      signal,
    );
    this.lease = written;
    this.observe(written.spec ?? {});
    return "acquired";
  }

  private async create(signal: AbortSignal): Promise<Attempt> {
    const stamp = microTime(Date.now());
    const created = await this.write(
      "POST",
      {
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
      },
      signal,
    );
    this.lease = created;
    this.observe(created.spec ?? {});
    return "acquired";
  }

  /** client-go's observedTime: when this process first saw the Lease's record as it is now. */
  private observe(spec: NonNullable<Lease["spec"]>): void {
    const record = JSON.stringify([
      spec.holderIdentity,
      spec.renewTime,
      spec.acquireTime,
      spec.leaseDurationSeconds,
      spec.leaseTransitions,
    ]);
    if (this.observed?.record !== record) this.observed = { record, at: monotonicNow() };
  }

  private write(verb: "POST" | "PUT", lease: Lease, signal: AbortSignal): Promise<Lease> {
    const path = verb === "POST" ? this.path.slice(0, this.path.lastIndexOf("/")) : this.path;
    return this.client.request<Lease>(verb, path, { body: lease, signal });
  }

  private failed(err: unknown, signal: AbortSignal): Attempt {
    // 409: another candidate wrote first; it is the leader now, or will be. An aborted attempt is
    // the end of a term or of the campaign, which the caller reports.
    if (statusCode(err) !== 409 && !signal.aborted) {
      this.log.warn({ err: (err as Error).message }, "lease request failed");
    }
    return "failed";
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/${this.name}`;
  }

  private setLeading(leading: boolean): void {
    this.client.identity.metrics.leader.set({ lease: `${this.namespace}/${this.name}` }, leading ? 1 : 0);
  }
}

/** client-go's rules, with messages that name the option and the fix. */
function validateTimings(leaseDurationMs: number, renewDeadlineMs: number, retryPeriodMs: number): void {
  const timings = { leaseDurationMs, renewDeadlineMs, retryPeriodMs };
  for (const [name, value] of Object.entries(timings)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`leader election: ${name} must be a positive number of milliseconds, not ${value}`);
    }
  }
  if (renewDeadlineMs >= leaseDurationMs) {
    throw new Error(
      `leader election: renewDeadlineMs (${renewDeadlineMs}) must be shorter than leaseDurationMs ` +
        `(${leaseDurationMs}), so that a leader stops acting before a standby may take the lease`,
    );
  }
  if (retryPeriodMs * JITTER_FACTOR >= renewDeadlineMs) {
    throw new Error(
      `leader election: retryPeriodMs × ${JITTER_FACTOR} (${retryPeriodMs * JITTER_FACTOR}) must be ` +
        `shorter than renewDeadlineMs (${renewDeadlineMs}), so that a leader can retry a failed renewal`,
    );
  }
}
