import type { V1Status } from "@kubernetes/client-node";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { type ClusterClient, type Query, statusCode } from "./client.ts";
import { type Logger, silentLogger } from "./log.ts";
import { sleep } from "./sleep.ts";
import { type Change, type EventType, type Indexer, NAMESPACE_INDEX, type Resource, Store } from "./store.ts";
import { Watchdog } from "./watchdog.ts";

export { byLabel, byOwnerUid, type EventType, objectKey, type Resource, splitKey } from "./store.ts";

/** Which collection to mirror; `plural` is the resource name in the URL. */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export interface InformerOptions<T> {
  /** Mirror one namespace only; all namespaces when omitted. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Record<string, Indexer<T>>;
  /** A watch silent this long is presumed dead and started again. */
  watchdogMs?: number;
  /** Delays between failed lists and watches. */
  backoff?: BackoffOptions;
  pageSize?: number;
  log?: Logger;
  /**
   * What is cached of each object, as client-go's SetTransform: applied to every listed and
   * watched object before it is stored or handed to handlers, so fields no reader needs take no
   * memory. The store keeps what it returns, the object it was given or a new one.
   */
  transform?: (obj: T) => T;
}

/**
 * The object without metadata.managedFields, server-side apply's bookkeeping: large, and read by
 * no controller and no REST client. The transform most caches want; the api answers with it too.
 */
export function stripManagedFields<T extends { metadata?: object }>(obj: T): T {
  if (!obj.metadata || !("managedFields" in obj.metadata)) return obj;
  const { managedFields: _, ...metadata } = obj.metadata as Record<string, unknown>;
  return { ...obj, metadata };
}

export type InformerHandler<T> = (type: EventType, obj: T, old?: T) => void;

type WatchEnd = "closed" | "gone" | "silent" | "error" | "stopped";

interface WatchOutcome {
  end: WatchEnd;
  error?: unknown;
  /** Whether the watch worked before it ended, so the next one may start without waiting. */
  healthy: boolean;
}

const DEFAULT_WATCHDOG_MS = 5 * 60_000;
const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, jitter: 0.5 };

/**
 * A cache of one collection kept current by list + watch. The watch resumes from the last
 * resourceVersion it saw; when the server no longer has that version (410 Gone) it lists again and
 * tells handlers what changed meanwhile, deletes included. Every failure is retried with backoff.
 */
export class Informer<T extends Resource> {
  readonly resource: ResourceType;
  private readonly client: ClusterClient;
  private readonly options: InformerOptions<T>;
  private readonly log: Logger;
  private readonly store: Store<T>;
  private readonly transform: (obj: T) => T;
  private readonly handlers = new Set<InformerHandler<T>>();
  private readonly backoff: Backoff;
  private readonly watchdogMs: number;
  private readonly stopping = new AbortController();
  private resourceVersion: string | undefined;
  private synced = false;
  private started: Promise<void> | undefined;
  private markSynced: (() => void) | undefined;
  private abortWatch: (() => void) | undefined;
  private failure: unknown;

  constructor(client: ClusterClient, resource: ResourceType, options: InformerOptions<T> = {}) {
    this.client = client;
    this.resource = resource;
    this.options = options;
    this.log = options.log ?? silentLogger();
    this.store = new Store<T>(options.indexers);
    this.transform = options.transform ?? ((obj) => obj);
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.watchdogMs = options.watchdogMs ?? DEFAULT_WATCHDOG_MS;
  }

  /** Starts mirroring; resolves once the first list is cached (or when stopped first). Idempotent. */
  start(): Promise<void> {
    if (!this.started) {
      this.started = new Promise((resolve) => {
        this.markSynced = resolve;
      });
      void this.run();
    }
    return this.started;
  }

  stop(): void {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    this.abortWatch?.();
    this.markSynced?.();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /**
   * The error of the last list or watch that failed, until a list or watch works again: why a start
   * has not resolved yet. It is the error as the client threw it, answer included; a caller that
   * shows it to someone who must not read the server's answers describes it first.
   */
  get lastError(): unknown {
    return this.failure;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    return namespace === undefined ? this.store.values() : this.store.byIndex(NAMESPACE_INDEX, namespace);
  }

  keys(): string[] {
    return this.store.keys();
  }

  byIndex(index: string, value: string): T[] {
    return this.store.byIndex(index, value);
  }

  /** Indexes added after construction, e.g. by a second user of a shared informer. */
  addIndexers(indexers: Record<string, Indexer<T>>): void {
    for (const [name, indexer] of Object.entries(indexers)) this.store.addIndexer(name, indexer);
  }

  /** Calls `handler` for every change after it subscribes; returns the unsubscribe function. */
  on(handler: InformerHandler<T>): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  private get path(): string {
    const { apiVersion, plural, namespaced } = this.resource;
    const group = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = namespaced && this.options.namespace ? `/namespaces/${this.options.namespace}` : "";
    return `${group}${ns}/${plural}`;
  }

  private get selectors(): Query {
    return { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector };
  }

  /** The informer's life: list when needed, watch, and wait out failures. Never rejects. */
  private async run(): Promise<void> {
    const stopped = this.stopping.signal;
    let needList = true;
    while (!stopped.aborted) {
      try {
        if (needList) await this.relist();
        needList = await this.watchAndWait();
      } catch (err) {
        if (stopped.aborted) break;
        this.failure = err;
        const delay = this.backoff.next();
        this.log.warn({ err: message(err), retryInMs: delay }, needList ? "list failed" : "watch failed");
        await sleep(delay, stopped);
      }
    }
  }

  /** Runs one watch to its end and waits as long as that end calls for; true when a list is due. */
  private async watchAndWait(): Promise<boolean> {
    const outcome = await this.watchOnce();
    if (outcome.end === "stopped") return false;
    this.client.identity.metrics.watchRestarts.inc({
      cluster: this.client.name,
      resource: this.resource.plural,
      reason: outcome.end,
    });
    if (outcome.healthy) {
      this.backoff.reset();
      this.failure = undefined;
    }
    if (outcome.end === "error") this.failure = outcome.error;
    if (outcome.end === "gone") {
      this.log.info("watch resourceVersion expired; listing again");
      return true;
    }
    if (outcome.end === "closed" && outcome.healthy) return false;
    const delay = this.backoff.next();
    const level = outcome.end === "error" || outcome.end === "silent" ? "warn" : "debug";
    this.log[level]({ end: outcome.end, err: message(outcome.error), retryInMs: delay }, "watch ended");
    await sleep(delay, this.stopping.signal);
    return false;
  }

  private async relist(): Promise<void> {
    const items: T[] = [];
    let next: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.client.request<{
        metadata?: { resourceVersion?: string; continue?: string };
        items: T[];
      }>("GET", this.path, {
        query: { ...this.selectors, limit: this.options.pageSize ?? 500, continue: next },
        timeoutMs: 60_000,
      });
      // Items of a list carry neither apiVersion nor kind; watch events do. Cache them alike.
      for (const item of page.items) {
        items.push(
          this.transform({ ...item, apiVersion: this.resource.apiVersion, kind: this.resource.kind }),
        );
      }
      next = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion;
    } while (next);
    const changes = this.store.replace(items);
    this.resourceVersion = resourceVersion;
    this.backoff.reset();
    this.failure = undefined;
    if (!this.synced) {
      this.synced = true;
      this.markSynced?.();
      this.log.debug({ objects: items.length }, "cache synced");
    }
    this.emit(changes);
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      const startedAt = Date.now();
      // The server ends a watch by itself before the watchdog could fire; silence past that is a fault.
      const timeoutSeconds = Math.max(1, Math.floor((this.watchdogMs / 1000) * (0.5 + 0.4 * Math.random())));
      let delivered = false;
      let settled = false;
      let controller: AbortController | undefined;
      const finish = (end: WatchEnd, error?: unknown) => {
        if (settled) return;
        settled = true;
        watchdog.stop();
        this.abortWatch = undefined;
        controller?.abort();
        resolve({ end, error, healthy: delivered || Date.now() - startedAt >= timeoutSeconds * 500 });
      };
      const watchdog = new Watchdog(this.watchdogMs, () => finish("silent"));
      this.abortWatch = () => finish("stopped");
      if (this.stopping.signal.aborted) return finish("stopped");

      const query: Query = {
        ...this.selectors,
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
      };
      const onEvent = (type: string, object: unknown) => {
        if (settled) return;
        watchdog.reset();
        const obj = object as T;
        switch (type) {
          case "ADDED":
          case "MODIFIED":
          case "DELETED": {
            delivered = true;
            this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
            const change = this.store.apply(type, this.transform(obj));
            if (change) this.emit([change]);
            return;
          }
          case "BOOKMARK":
            delivered = true;
            this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
            return;
          case "ERROR": {
            const status = object as V1Status;
            if (status.code === 410) return finish("gone");
            return finish("error", new Error(`watch error ${status.code}: ${status.message}`));
          }
        }
      };
      const onDone = (err: unknown) => {
        if (!err) return finish("closed");
        if (statusCode(err) === 410) return finish("gone");
        if ((err as Error).name === "TimeoutError") return finish("silent");
        finish("error", err);
      };
      this.client.watch(this.path, query, onEvent, onDone, this.watchdogMs + 5_000).then(
        (c) => {
          controller = c;
          if (settled) c.abort();
        },
        (err) => finish("error", err),
      );
    });
  }

  private emit(changes: Change<T>[]): void {
    for (const change of changes) {
      for (const handler of this.handlers) {
        try {
          handler(change.type, change.obj, change.old);
        } catch (err) {
          this.log.error({ err: message(err), event: change.type }, "informer handler threw");
        }
      }
    }
  }
}

function message(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  return err instanceof Error ? err.message : String(err);
}
