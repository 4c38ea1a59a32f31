import type { ServerResponse } from "node:http";
import { stripManagedFields } from "@agentyard/kube-runtime";
import type { FastifyBaseLogger } from "fastify";
import type { Actor } from "./actor.ts";
import { type ChangeType, Follower } from "./follow.ts";
import { eventStreams } from "./metrics.ts";
import { Problem, ProblemType } from "./problem.ts";

/** The kinds a stream carries, by the name of their SSE event. */
export type StreamKind = "task" | "org";

export interface StreamSource {
  kind: StreamKind;
  /** Collection path of the watch. */
  path: string;
  fieldSelector?: string;
}

export interface EventStreamOptions {
  sources: StreamSource[];
  /** Where the client's previous stream stopped, from Last-Event-ID. */
  resume: Partial<Record<StreamKind, string>> | undefined;
  heartbeatMs: number;
  /** How often the caller's credential is checked again; the stream ends once it is refused. */
  recheckMs: number;
  /** The request path, named in an error event. */
  path: string;
  log: FastifyBaseLogger;
}

/** How long a browser waits before it reconnects a dropped stream. */
const RECONNECT_MS = 2_000;
/** A client this far behind is dropped; it reconnects and resumes from its Last-Event-ID. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const MAX_POSITION_LENGTH = 64;

/**
 * Last-Event-ID as this API writes it: `task=<resourceVersion>&org=<resourceVersion>`, the position
 * of each watch. Anything else starts the stream afresh rather than failing a reconnecting browser.
 */
export function parseLastEventId(
  header: string | undefined,
  kinds: StreamKind[],
): Partial<Record<StreamKind, string>> | undefined {
  if (!header) return undefined;
  const params = new URLSearchParams(header);
  const resume: Partial<Record<StreamKind, string>> = {};
  for (const kind of kinds) {
    const position = params.get(kind);
    if (!position || position.length > MAX_POSITION_LENGTH || /\s/.test(position)) return undefined;
    resume[kind] = position;
  }
  return resume;
}

/**
 * One client's Server-Sent Events stream: `task` and `org` events carry `{type, object}` as the
 * watches deliver them, `synced` tells that a kind's current objects were all sent, `reset` that a
 * kind starts over (the client drops what it holds of that kind), `error` ends the stream. Every
 * event after `synced` carries an id to resume from; comments keep idle connections alive.
 */
export class EventStream {
  private readonly raw: ServerResponse;
  private readonly options: EventStreamOptions;
  private readonly followers = new Map<StreamKind, Follower>();
  private heartbeat: NodeJS.Timeout | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private readonly actor: Actor;
  private lastId: string | undefined;
  private ended = false;
  private readonly onEnd: () => void;

  constructor(raw: ServerResponse, actor: Actor, options: EventStreamOptions, onEnd: () => void) {
    this.raw = raw;
    this.actor = actor;
    this.options = options;
    this.onEnd = onEnd;
    for (const source of options.sources) {
      const resumeFrom = options.resume?.[source.kind];
      const follower = new Follower(
        actor,
        {
          path: source.path,
          ...(source.fieldSelector ? { query: { fieldSelector: source.fieldSelector } } : {}),
          ...(resumeFrom ? { resumeFrom } : {}),
          log: options.log.child({ kind: source.kind }),
        },
        {
          change: (type, object) => this.change(source.kind, type, object),
          live: () => this.send("synced", { kind: source.kind }),
          moved: () => this.send(undefined, undefined),
          reset: () => this.send("reset", { kind: source.kind }),
          fatal: (problem) => {
            this.send("error", problem.body(options.path));
            this.end();
          },
        },
      );
      this.followers.set(source.kind, follower);
    }
  }

  start(): void {
    eventStreams.inc();
    this.raw.on("close", () => this.end());
    this.write(`retry: ${RECONNECT_MS}\n\n`);
    this.heartbeat = setInterval(
      () => this.write(`: heartbeat ${new Date().toISOString()}\n\n`),
      this.options.heartbeatMs,
    );
    this.recheck = setInterval(() => void this.checkCredential(), this.options.recheckMs);
    for (const follower of this.followers.values()) follower.start();
  }

  /**
   * The watches run with the api's own credentials, impersonating the caller, so they would outlive
   * the caller's token: a token the API server no longer accepts ends the stream.
   */
  private async checkCredential(): Promise<void> {
    let valid: boolean;
    try {
      valid = await this.actor.stillValid();
    } catch (err) {
      this.options.log.warn({ error: (err as Error).message }, "could not check the stream's token again");
      return;
    }
    if (valid || this.ended) return;
    this.send(
      "error",
      new Problem(
        401,
        ProblemType.unauthenticated,
        "the bearer token this stream was opened with is no longer accepted (expired or revoked)",
      ).body(this.options.path),
    );
    this.end();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    eventStreams.dec();
    clearInterval(this.heartbeat);
    clearInterval(this.recheck);
    for (const follower of this.followers.values()) follower.stop();
    this.raw.end();
    this.onEnd();
  }

  private change(kind: StreamKind, type: ChangeType, object: Record<string, unknown>): void {
    this.send(kind, { type, object: stripManagedFields(object) });
  }

  /** The resume position of every kind, once all are live; until then the client resumes nothing. */
  private id(): string | undefined {
    const params = new URLSearchParams();
    for (const [kind, follower] of this.followers) {
      const at = follower.at;
      if (at === undefined) return undefined;
      params.set(kind, at);
    }
    return params.toString();
  }

  private send(event: string | undefined, data: unknown): void {
    let message = "";
    const id = this.id();
    if (id !== undefined && id !== this.lastId) {
      message += `id: ${id}\n`;
      this.lastId = id;
    }
    if (event) message += `event: ${event}\n`;
    if (data !== undefined) message += `data: ${JSON.stringify(data)}\n`;
    if (message) this.write(`${message}\n`);
  }

  private write(text: string): void {
    if (this.ended) return;
    if (this.raw.writableLength > MAX_BUFFERED_BYTES) {
      this.options.log.warn("event stream client is too slow; closing its stream");
      this.end();
      return;
    }
    this.raw.write(text);
  }
}
