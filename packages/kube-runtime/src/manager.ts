import type { ClusterClient } from "./client.ts";
import { Controller, type ControllerOptions } from "./controller.ts";
import { type HealthServer, startHealthServer } from "./health.ts";
import { Informer, type InformerOptions, type ResourceType } from "./informer.ts";
import { LeaderElector, type LeaderElectorOptions } from "./leader.ts";
import { type Logger, silentLogger } from "./log.ts";
import type { Indexer, Resource } from "./store.ts";

/** Something the Manager starts before the controllers and stops after them (a cache, a registry). */
export interface Runnable {
  /** Resolves once it can serve what controllers read from it. */
  start(): Promise<void>;
  stop(): void | Promise<void>;
  /** For /readyz; ready once started when omitted. */
  ready?(): boolean;
}

export interface ManagerOptions {
  /** The cluster the controllers' primary kinds live in; informers and the Lease use it. */
  client: ClusterClient;
  log?: Logger;
  /** host:port of /healthz, /readyz and /metrics (the client's metrics registry); none when omitted. */
  healthAddress?: string;
  /**
   * Reconcile only while holding this Lease; always when omitted. A term's reconciles get its
   * signal, aborted when the term ends; the next term starts once they all returned.
   */
  leaderElection?: Omit<LeaderElectorOptions, "log">;
  /** Defaults of every controller made with `controller()`. */
  controllerDefaults?: Pick<ControllerOptions, "concurrency" | "resyncMs" | "backoff">;
  /**
   * What every shared informer caches of an object (controller-runtime's DefaultTransform), e.g.
   * stripManagedFields; the whole object when omitted.
   */
  transform?: <T extends Resource>(obj: T) => T;
}

type SharedOptions<T> = Pick<
  InformerOptions<T>,
  "namespace" | "labelSelector" | "fieldSelector" | "indexers"
>;

/**
 * controller-runtime's Manager: one informer per kind and selector shared by every controller that
 * reads it, caches and other runnables started (and synced) before any controller, /healthz,
 * /readyz and /metrics, leader election that starts the controllers on leading and, when the term
 * ends, cancels the reconciles in flight and waits for them before it campaigns again, and one
 * graceful stop.
 */
export class Manager {
  readonly client: ClusterClient;
  readonly log: Logger;
  private readonly options: ManagerOptions;
  private readonly informers = new Map<string, Informer<Resource>>();
  private readonly runnables: Runnable[] = [];
  private readonly controllers: Controller[] = [];
  private elector: LeaderElector | undefined;
  private health: HealthServer | undefined;
  private state: "new" | "started" | "stopped" = "new";
  private readonly lost = Promise.withResolvers<void>();

  constructor(options: ManagerOptions) {
    this.options = options;
    this.client = options.client;
    this.log = options.log ?? silentLogger();
  }

  /**
   * The shared informer of a kind in the Manager's cluster, by namespace and selectors. Indexers add
   * to those of earlier callers.
   */
  informer<T extends Resource>(resource: ResourceType, options: SharedOptions<T> = {}): Informer<T> {
    const key = [
      resource.apiVersion,
      resource.kind,
      options.namespace ?? "",
      options.labelSelector ?? "",
      options.fieldSelector ?? "",
    ].join("|");
    let informer = this.informers.get(key) as Informer<T> | undefined;
    if (!informer) {
      const { indexers: _, ...rest } = options;
      informer = new Informer<T>(this.client, resource, {
        ...rest,
        ...(this.options.transform ? { transform: this.options.transform } : {}),
        log: this.log.child({ informer: resource.kind }),
      });
      this.informers.set(key, informer as unknown as Informer<Resource>);
      if (this.state === "started") void informer.start();
    }
    if (options.indexers) informer.addIndexers(options.indexers as Record<string, Indexer<T>>);
    return informer;
  }

  /** A controller whose start and stop follow this Manager (and its leadership). */
  controller(name: string, options: ControllerOptions = {}): Controller {
    const controller = new Controller(name, {
      ...this.options.controllerDefaults,
      log: this.log,
      metrics: this.client.identity.metrics,
      // Without leader election there is no term to end, and such a refusal is an error to retry.
      ...(this.options.leaderElection
        ? { onNotLeader: (message: string) => this.elector?.endTerm(message) }
        : {}),
      ...options,
    });
    this.controllers.push(controller);
    return controller;
  }

  /** Starts `runnable` with the caches, before any controller; returns it. */
  add<R extends Runnable>(runnable: R): R {
    if (this.state !== "new") throw new Error("add runnables before the manager starts");
    this.runnables.push(runnable);
    return runnable;
  }

  /** Whether every cache and runnable has synced; a standby that is not leading is ready too. */
  ready(): boolean {
    return (
      [...this.informers.values()].every((i) => i.hasSynced()) &&
      this.runnables.every((r) => r.ready?.() ?? true)
    );
  }

  /**
   * Resolves once a term ended and, with `recampaign: false`, this Manager will not lead again:
   * its reconciles have returned, and the process should stop it and exit, to be restarted as a
   * standby (controller-runtime's "leader election lost").
   */
  get leadershipLost(): Promise<void> {
    return this.lost.promise;
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.state === "started";
  }

  /** Where /healthz, /readyz and /metrics are served, when they are. */
  get healthUrl(): string | undefined {
    return this.health?.url;
  }

  /** Starts caches and runnables, waits until they synced, then reconciles (once leading). */
  async start(): Promise<void> {
    if (this.state !== "new") throw new Error("a manager starts once");
    this.state = "started";
    await Promise.all([
      ...[...this.informers.values()].map((i) => i.start()),
      ...this.runnables.map((r) => r.start()),
    ]);
    if (this.options.healthAddress !== undefined) {
      this.health = await startHealthServer({
        address: this.options.healthAddress,
        ready: () => this.ready(),
        registry: this.client.identity.metrics.registry,
        log: this.log,
      });
    }
    const election = this.options.leaderElection;
    if (!election) {
      this.startControllers();
      return;
    }
    this.elector = new LeaderElector(this.client, {
      ...election,
      log: this.log.child({ component: "leader-election" }),
    });
    void this.elector
      .run({
        onStartedLeading: (term) => this.startControllers(term),
        onStoppedLeading: async () => {
          this.log.warn("no longer leading: reconciles cancelled, waiting for them to return");
          await this.stopControllers();
        },
      })
      .then(() => {
        if (this.state === "started") this.lost.resolve();
      });
  }

  /** Stops reconciling (waiting for reconciles in flight), gives up the Lease, stops the caches. */
  async stop(): Promise<void> {
    if (this.state !== "started") {
      this.state = "stopped";
      return;
    }
    this.state = "stopped";
    await this.stopControllers();
    await this.elector?.release();
    for (const runnable of [...this.runnables].reverse()) await runnable.stop();
    for (const informer of this.informers.values()) informer.stop();
    await this.health?.close();
  }

  private startControllers(term?: AbortSignal): void {
    if (this.state !== "started") return;
    this.log.info("leading: reconciling");
    for (const controller of this.controllers) controller.start(term);
  }

  private async stopControllers(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
  }
}
