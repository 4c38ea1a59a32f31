import { type BackoffOptions, backoffDelay } from "./backoff.ts";
import { type RuntimeMetrics, unservedMetrics } from "./metrics.ts";
import { timerDelay } from "./sleep.ts";

/** What a processed key asks for: nothing, or another look after a while. */
export type WorkResult = { requeueAfterMs?: number } | undefined;
export type WorkHandler = (key: string) => Promise<WorkResult>;

export interface WorkQueueOptions {
  /** Names the depth gauge. */
  name: string;
  /** Keys processed at the same time, at most. */
  concurrency?: number;
  /** Per-key retry delays after a failure; reset by a success. */
  backoff?: BackoffOptions;
  metrics?: RuntimeMetrics;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 5 * 60_000 };

/**
 * A set of keys to process, client-go style: a key waits at most once, is never processed twice at
 * the same time (a key added while running runs again after), and a failing key comes back later
 * and later. The result of the latest run decides when a key is looked at again: starting a run
 * cancels the key's pending delayed add.
 */
export class WorkQueue {
  private readonly handler: WorkHandler;
  private readonly name: string;
  private readonly concurrency: number;
  private readonly backoff: BackoffOptions;
  private readonly metrics: RuntimeMetrics;
  private readonly waiting = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: ReturnType<typeof setTimeout> }>();
  private readonly failures = new Map<string, number>();
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;
  private pumpScheduled = false;

  constructor(handler: WorkHandler, options: WorkQueueOptions) {
    this.handler = handler;
    this.name = options.name;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.metrics = options.metrics ?? unservedMetrics();
  }

  /** Keys waiting to run (not counting running or delayed ones). */
  get depth(): number {
    return this.waiting.size;
  }

  add(key: string): void {
    if (this.closed) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.waiting.add(key);
    this.updateDepth();
    // Start workers after the current tick, so the keys one event maps to, or one key added
    // twice in a row, coalesce instead of running once and then again.
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      queueMicrotask(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  /** Adds the key after `ms`; of several pending delays for one key, the earliest wins. */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    // Past the longest timer the key is looked at early; its reconcile asks for the rest again.
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, timerDelay(ms));
    this.delayed.set(key, { at, timer });
  }

  /** Stops taking keys, drops the waiting and delayed ones, and resolves when running ones finish. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.waiting.clear();
    this.dirty.clear();
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.updateDepth();
    await Promise.all([...this.inflight]);
  }

  private pump(): void {
    while (!this.closed && this.active.size < this.concurrency) {
      const key = this.waiting.values().next().value;
      if (key === undefined) break;
      this.waiting.delete(key);
      this.cancelDelayed(key);
      this.active.add(key);
      const run: Promise<void> = this.process(key).finally(() => this.inflight.delete(run));
      this.inflight.add(run);
    }
    this.updateDepth();
  }

  private async process(key: string): Promise<void> {
    let result: WorkResult;
    let failed = false;
    try {
      result = await this.handler(key);
    } catch {
      failed = true;
    }
    this.active.delete(key);
    if (failed) {
      const attempt = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempt);
      this.addAfter(key, backoffDelay(attempt, this.backoff));
    } else {
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    }
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
  }

  private cancelDelayed(key: string): void {
    const pending = this.delayed.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.delayed.delete(key);
  }

  private updateDepth(): void {
    this.metrics.queueDepth.set({ controller: this.name }, this.waiting.size);
  }
}
