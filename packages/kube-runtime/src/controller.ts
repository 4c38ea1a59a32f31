import type { BackoffOptions } from "./backoff.ts";
import type { Informer } from "./informer.ts";
import { type Logger, silentLogger } from "./log.ts";
import { metrics } from "./metrics.ts";
import { WorkQueue, type WorkResult } from "./queue.ts";
import { objectKey, type Resource } from "./store.ts";

/** Done (undefined), or look again after a while. A thrown error means: retry with backoff. */
export type ReconcileResult = WorkResult;
export interface ReconcileContext {
  /** Carries the controller and the key. */
  log: Logger;
}
export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult>;
export type KeyMapper<T> = (obj: T) => string[];

export interface ControllerOptions {
  /** Keys reconciled at the same time (default 1). */
  concurrency?: number;
  /** Every key of the primary informer is reconciled again this often; 0 turns it off. */
  resyncMs?: number;
  backoff?: BackoffOptions;
  log?: Logger;
}

interface Source {
  informer: Informer<Resource>;
  map: KeyMapper<Resource>;
}

const DEFAULT_RESYNC_MS = 10 * 60_000;

/**
 * Declared in one sentence:
 * `new Controller("agenttask", opts).watches(tasks).watches(orgs, toTaskKeys).reconcile(fn)`.
 * The first informer watched is the primary: its keys are what the reconciler gets and what a
 * resync revisits. Only a started controller reconciles; stop and start follow leadership.
 */
export class Controller {
  readonly name: string;
  private readonly options: ControllerOptions;
  private readonly log: Logger;
  private readonly sources: Source[] = [];
  private reconciler: Reconciler | undefined;
  private queue: WorkQueue | undefined;
  private unsubscribe: (() => void)[] = [];
  private resync: ReturnType<typeof setInterval> | undefined;

  constructor(name: string, options: ControllerOptions = {}) {
    this.name = name;
    this.options = options;
    this.log = (options.log ?? silentLogger()).child({ controller: name });
  }

  /** Reconciles the keys `map` gives for every change of the informer's objects (default: their own key). */
  watches<T extends Resource>(informer: Informer<T>, map?: KeyMapper<T>): this {
    this.sources.push({
      informer: informer as unknown as Informer<Resource>,
      map: (map ?? ((o: T) => [objectKey(o)])) as KeyMapper<Resource>,
    });
    return this;
  }

  /** Watches children whose owner references point at an object of the primary kind. */
  owns<T extends Resource>(informer: Informer<T>): this {
    const primary = this.sources[0]?.informer.resource;
    if (!primary) throw new Error(`controller ${this.name}: watch the primary informer before owns()`);
    return this.watches(informer, (child) =>
      (child.metadata?.ownerReferences ?? [])
        .filter((ref) => ref.kind === primary.kind && ref.apiVersion === primary.apiVersion)
        .map((ref) =>
          primary.namespaced && child.metadata?.namespace
            ? `${child.metadata.namespace}/${ref.name}`
            : ref.name,
        ),
    );
  }

  reconcile(reconciler: Reconciler): this {
    this.reconciler = reconciler;
    return this;
  }

  get running(): boolean {
    return this.queue !== undefined;
  }

  /** Starts reconciling: every known key of the primary now, then on changes and resyncs. */
  start(): void {
    const primary = this.sources[0]?.informer;
    if (!primary || !this.reconciler) {
      throw new Error(`controller ${this.name}: needs watches(...) and reconcile(...) before start()`);
    }
    if (this.queue) return;
    const queue = new WorkQueue((key) => this.run(key), {
      name: this.name,
      ...(this.options.concurrency ? { concurrency: this.options.concurrency } : {}),
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
    });
    this.queue = queue;
    this.unsubscribe = this.sources.map(({ informer, map }) =>
      informer.on((_type, obj, old) => {
        for (const key of this.keysOf(map, obj, old)) queue.add(key);
      }),
    );
    for (const key of primary.keys()) queue.add(key);
    const resyncMs = this.options.resyncMs ?? DEFAULT_RESYNC_MS;
    if (resyncMs > 0) {
      this.resync = setInterval(() => {
        for (const key of primary.keys()) queue.add(key);
      }, resyncMs);
    }
    this.log.info("controller started");
  }

  /** Stops taking keys and waits for reconciles in flight. */
  async stop(): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    this.queue = undefined;
    clearInterval(this.resync);
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    await queue.shutdown();
    this.log.info("controller stopped");
  }

  /** Asks for a reconcile of `key`; ignored while stopped (a start enqueues every key anyway). */
  enqueue(key: string): void {
    this.queue?.add(key);
  }

  private keysOf(map: KeyMapper<Resource>, obj: Resource, old?: Resource): string[] {
    try {
      // The old object's keys too: a label that moved must wake the owner it left.
      return old ? [...new Set([...map(obj), ...map(old)])] : map(obj);
    } catch (err) {
      this.log.error({ err, object: objectKey(obj) }, "mapping an event to keys threw");
      return [];
    }
  }

  private async run(key: string): Promise<ReconcileResult> {
    const log = this.log.child({ key });
    const reconciler = this.reconciler as Reconciler;
    const done = metrics.reconcileDuration.startTimer({ controller: this.name });
    try {
      const result = await reconciler(key, { log });
      done({ result: result?.requeueAfterMs === undefined ? "success" : "requeue" });
      return result;
    } catch (err) {
      done({ result: "error" });
      metrics.reconcileErrors.inc({ controller: this.name });
      log.error({ err }, "reconcile failed; retrying with backoff");
      throw err;
    }
  }
}
