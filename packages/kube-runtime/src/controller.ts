import type { BackoffOptions } from "./backoff.ts";
import { throwIfAborted } from "./deadline.ts";
import { notLeaderMessage } from "./errors.ts";
import type { InformerHandler, ResourceType } from "./informer.ts";
import { type Logger, silentLogger } from "./log.ts";
import { type RuntimeMetrics, unservedMetrics } from "./metrics.ts";
import { WorkQueue, type WorkResult } from "./queue.ts";
import { timerDelay } from "./sleep.ts";
import { objectKey, type Resource } from "./store.ts";

/** Done (undefined), or look again after a while. A thrown error means: retry with backoff. */
export type ReconcileResult = WorkResult;
export interface ReconcileContext {
  /** Carries the controller and the key. */
  log: Logger;
  /**
   * Aborts when this replica may no longer act (its leader term ended): hand it to every client
   * call, so that a write in flight is cut off and no new one is sent.
   */
  signal: AbortSignal;
}
export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult>;
export type KeyMapper<T> = (obj: T) => string[];

/** Anything that tells of changes to objects: an informer, or a fan-in of many (one per cluster). */
export interface Source<T> {
  on(handler: InformerHandler<T>): () => void;
}

/** What a controller is for: a source whose every key it reconciles, at start and on resyncs. */
export interface PrimarySource<T> extends Source<T> {
  readonly resource: ResourceType;
  keys(): string[];
}

export interface ControllerOptions {
  /** Keys reconciled at the same time (default 1). */
  concurrency?: number;
  /** Every key of the primary informer is reconciled again this often; 0 turns it off. */
  resyncMs?: number;
  backoff?: BackoffOptions;
  log?: Logger;
  metrics?: RuntimeMetrics;
  /**
   * Told when the API server refused a reconcile's request because this replica does not hold the
   * Lease (an admission policy that fences terms): the term is over, and a Manager ends it. The
   * key is not retried.
   */
  onNotLeader?: (message: string) => void;
}

/** How a watched source's changes wake keys. */
export interface WatchFilter<T> {
  /**
   * Only the changes this accepts wake their keys (controller-runtime's predicates); every change
   * when omitted. `old` is undefined for an addition.
   */
  when?: (obj: T, old: T | undefined) => boolean;
  /**
   * Wakes the keys this long after the change, so that a burst of changes costs one reconcile
   * (client-go's AddAfter; of several pending wakes of one key the earliest stands).
   */
  delayMs?: number;
}

interface Watch {
  source: Source<Resource>;
  map: KeyMapper<Resource>;
  filter: WatchFilter<Resource>;
}

const DEFAULT_RESYNC_MS = 10 * 60_000;

/**
 * Declared in one sentence, as controller-runtime's builder:
 * `new Controller("agenttask", opts).for(tasks).owns(children, byTask).watches(orgs, toTaskKeys).reconcile(fn)`.
 * The reconciler gets the primary's keys; every other source only maps its changes to such keys.
 * Only a started controller reconciles; a Manager starts and stops it with leadership.
 */
export class Controller {
  readonly name: string;
  private readonly options: ControllerOptions;
  private readonly log: Logger;
  private primary: PrimarySource<Resource> | undefined;
  private readonly sources: Watch[] = [];
  private reconciler: Reconciler | undefined;
  private queue: WorkQueue | undefined;
  private signal: AbortSignal = new AbortController().signal;
  private unsubscribe: (() => void)[] = [];
  private resync: ReturnType<typeof setInterval> | undefined;

  constructor(name: string, options: ControllerOptions = {}) {
    this.name = name;
    this.options = options;
    this.log = (options.log ?? silentLogger()).child({ controller: name });
  }

  /**
   * The kind this controller reconciles. A change of one of its objects reconciles that object's
   * key, or the keys `map` gives (which may add others, e.g. tasks waiting for the slot it frees).
   */
  for<T extends Resource>(primary: PrimarySource<T>, map?: KeyMapper<T>): this {
    if (this.primary) throw new Error(`controller ${this.name}: for() names the one primary kind`);
    this.primary = primary as unknown as PrimarySource<Resource>;
    return this.watches(primary, map ?? ((o: T) => [objectKey(o)]));
  }

  /**
   * Children of the primary kind: by default the owners their owner references name; `map` finds
   * the owner otherwise (children in another cluster carry a label instead).
   */
  owns<T extends Resource>(children: Source<T>, map?: KeyMapper<T>): this {
    const primary = this.primary?.resource;
    if (!primary) throw new Error(`controller ${this.name}: call for() before owns()`);
    return this.watches(
      children,
      map ??
        ((child: T) =>
          (child.metadata?.ownerReferences ?? [])
            .filter((ref) => ref.kind === primary.kind && ref.apiVersion === primary.apiVersion)
            .map((ref) =>
              primary.namespaced && child.metadata?.namespace
                ? `${child.metadata.namespace}/${ref.name}`
                : ref.name,
            )),
    );
  }

  /** Reconciles the keys `map` gives for every change that `source` tells of (and `filter` lets by). */
  watches<T extends Resource>(source: Source<T>, map: KeyMapper<T>, filter: WatchFilter<T> = {}): this {
    this.sources.push({
      source: source as unknown as Source<Resource>,
      map: map as KeyMapper<Resource>,
      filter: filter as WatchFilter<Resource>,
    });
    return this;
  }

  reconcile(reconciler: Reconciler): this {
    this.reconciler = reconciler;
    return this;
  }

  get running(): boolean {
    return this.queue !== undefined;
  }

  /**
   * Starts reconciling: every known key of the primary now, then on changes and resyncs. Every
   * reconcile gets `signal` (a leader term's), and none starts once it aborted.
   */
  start(signal: AbortSignal = new AbortController().signal): void {
    const primary = this.primary;
    if (!primary || !this.reconciler) {
      throw new Error(`controller ${this.name}: needs for(...) and reconcile(...) before start()`);
    }
    if (this.queue) return;
    this.signal = signal;
    const queue = new WorkQueue((key) => this.run(key), {
      name: this.name,
      ...(this.options.concurrency ? { concurrency: this.options.concurrency } : {}),
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      metrics: this.metrics,
    });
    this.queue = queue;
    this.unsubscribe = this.sources.map(({ source, map, filter }) =>
      source.on((type, obj, old) => {
        // A deletion always wakes: nothing is left to compare.
        if (type !== "DELETED" && filter.when && !filter.when(obj, old)) return;
        for (const key of this.keysOf(map, obj, old)) {
          if (filter.delayMs) queue.addAfter(key, filter.delayMs);
          else queue.add(key);
        }
      }),
    );
    for (const key of primary.keys()) queue.add(key);
    const resyncMs = this.options.resyncMs ?? DEFAULT_RESYNC_MS;
    if (resyncMs > 0) {
      this.resync = setInterval(() => {
        for (const key of primary.keys()) queue.add(key);
      }, timerDelay(resyncMs));
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

  private get metrics(): RuntimeMetrics {
    return this.options.metrics ?? unservedMetrics();
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
    const metrics = this.metrics;
    const signal = this.signal;
    try {
      throwIfAborted(signal);
    } catch {
      // The term ended; the queue is being shut down and drops the key.
      return undefined;
    }
    const done = metrics.reconcileDuration.startTimer({ controller: this.name });
    try {
      const result = await reconciler(key, { log, signal });
      done({ result: result?.requeueAfterMs === undefined ? "success" : "requeue" });
      return result;
    } catch (err) {
      if (signal.aborted) {
        done({ result: "cancelled" });
        log.info({ reason: (signal.reason as Error).message }, "reconcile cancelled");
        return undefined;
      }
      const notLeader = notLeaderMessage(err);
      if (notLeader !== undefined && this.options.onNotLeader) {
        done({ result: "cancelled" });
        log.error(
          { reason: notLeader },
          "the API server refused a write: another replica leads; ending this term",
        );
        this.options.onNotLeader(notLeader);
        return undefined;
      }
      done({ result: "error" });
      metrics.reconcileErrors.inc({ controller: this.name });
      log.error({ err }, "reconcile failed; retrying with backoff");
      throw err;
    }
  }
}
