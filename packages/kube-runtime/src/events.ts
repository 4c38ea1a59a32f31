import { randomBytes } from "node:crypto";
import { type ClusterClient, statusCode } from "./client.ts";
import { type Logger, silentLogger } from "./log.ts";
import type { Resource } from "./store.ts";
import { microTime } from "./time.ts";

const NOTE_LIMIT = 1024;

export interface EventInput {
  type: "Normal" | "Warning";
  /** Why, in UpperCamelCase: `Scheduled`, `ClusterUnreachable`. */
  reason: string;
  /** What the operator did or failed to do: `Reconcile`, `Delete`. */
  action: string;
  note?: string;
  /** The signal of the reconcile that emits it: an event is not written once that aborted. */
  signal?: AbortSignal;
}

export interface EventRecorderOptions {
  /** reportingController: the program, as a qualified name (`example.com/my-operator`). */
  reportingController: string;
  /** reportingInstance: this process's identity. */
  identity: string;
  log?: Logger;
  /** A repeat of an identical event within this window counts into the first one's series. */
  dedupWindowMs?: number;
  /** A series is written back at most this often; repeats in between only count. */
  seriesUpdateMs?: number;
  /** Identical-event memory is bounded; the least recently seen are forgotten first. */
  maxTracked?: number;
}

interface Tracked {
  namespace: string;
  name: string;
  count: number;
  lastSeen: number;
  lastWritten: number;
}

/**
 * Posts events.k8s.io/v1 Events about objects. An event identical to a recent one becomes a
 * series count on that one instead of a new object, so a failing reconcile cannot flood the
 * API server. Recording never throws: an event is worth less than the reconcile that emits it.
 */
export class EventRecorder {
  private readonly client: ClusterClient;
  private readonly identity: string;
  private readonly reportingController: string;
  private readonly log: Logger;
  private readonly windowMs: number;
  private readonly seriesUpdateMs: number;
  private readonly maxTracked: number;
  private readonly recent = new Map<string, Tracked>();

  constructor(client: ClusterClient, options: EventRecorderOptions) {
    this.client = client;
    this.identity = options.identity.slice(0, 128);
    this.reportingController = options.reportingController;
    this.log = options.log ?? silentLogger();
    this.windowMs = options.dedupWindowMs ?? 10 * 60_000;
    this.seriesUpdateMs = options.seriesUpdateMs ?? 30_000;
    this.maxTracked = options.maxTracked ?? 4096;
  }

  async event(regarding: Resource, input: EventInput): Promise<void> {
    const meta = regarding.metadata ?? {};
    const note = truncate(input.note ?? "", NOTE_LIMIT);
    const identity = meta.uid ?? `${regarding.kind}/${meta.namespace ?? ""}/${meta.name}`;
    const key = JSON.stringify([identity, input.type, input.reason, input.action, note]);
    const now = Date.now();
    try {
      const seen = this.recent.get(key);
      if (seen && now - seen.lastSeen < this.windowMs) {
        seen.count++;
        seen.lastSeen = now;
        this.remember(key, seen);
        if (now - seen.lastWritten >= this.seriesUpdateMs) {
          await this.writeSeries(key, seen, now, input.signal);
        }
        return;
      }
      // Events about cluster-scoped objects live in `default`, as kubectl and client-go put them.
      const namespace = meta.namespace ?? "default";
      const name = `${(meta.name ?? "object").slice(0, 200)}.${randomBytes(6).toString("hex")}`;
      await this.client.request("POST", `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
        signal: input.signal,
        body: {
          apiVersion: "events.k8s.io/v1",
          kind: "Event",
          metadata: { name, namespace },
          eventTime: microTime(now),
          reportingController: this.reportingController,
          reportingInstance: this.identity,
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name: meta.name,
            namespace: meta.namespace,
            uid: meta.uid,
            resourceVersion: meta.resourceVersion,
          },
          type: input.type,
          reason: input.reason,
          action: input.action,
          note,
        },
      });
      this.remember(key, { namespace, name, count: 1, lastSeen: now, lastWritten: now });
      this.log.debug({ event: input.reason, object: meta.name }, "event recorded");
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message, event: input.reason, object: meta.name },
        "event not recorded",
      );
    }
  }

  private async writeSeries(
    key: string,
    tracked: Tracked,
    now: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const path = `/apis/events.k8s.io/v1/namespaces/${tracked.namespace}/events/${tracked.name}`;
    try {
      await this.client.request("PATCH", path, {
        signal,
        body: { series: { count: tracked.count, lastObservedTime: microTime(now) } },
        contentType: "application/merge-patch+json",
      });
      tracked.lastWritten = now;
    } catch (err) {
      // The event expired (the API server keeps events about an hour): the next repeat starts anew.
      if (statusCode(err) === 404) this.recent.delete(key);
      throw err;
    }
  }

  private remember(key: string, tracked: Tracked): void {
    this.recent.delete(key);
    this.recent.set(key, tracked);
    for (const oldest of this.recent.keys()) {
      if (this.recent.size <= this.maxTracked) break;
      this.recent.delete(oldest);
    }
  }
}

function truncate(text: string, limit: number): string {
  if (Buffer.byteLength(text) <= limit) return text;
  let cut = text.slice(0, limit);
  while (Buffer.byteLength(cut) > limit - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}
