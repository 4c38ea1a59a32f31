import { type Query, statusCode } from "@agentyard/kube-runtime";
import { sleep } from "@agentyard/kube-runtime/sleep";
import type { FastifyBaseLogger } from "fastify";
import type { Actor } from "./actor.ts";
import { type Problem, toProblem } from "./problem.ts";

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export interface FollowHandlers {
  /** An object changed; `at` tells where to resume after it. */
  change(type: ChangeType, object: Record<string, unknown>): void;
  /** The initial objects were all delivered (on a fresh start or after a reset); changes follow. */
  live(): void;
  /** The resume position moved without a change (a bookmark). */
  moved(): void;
  /** The resume position expired: what the client holds may be stale; initial objects follow again. */
  reset(): void;
  /** The caller may no longer watch: the API server has refused the watch for REFUSAL_GRACE_MS. */
  fatal(problem: Problem): void;
}

export interface FollowOptions {
  path: string;
  /** Selectors of the watch, e.g. one Org by name. */
  query?: Query;
  /** A resourceVersion to resume after; all current objects first when omitted. */
  resumeFrom?: string;
  log: FastifyBaseLogger;
}

const INITIAL_EVENTS_END = "k8s.io/initial-events-end";
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15_000;
/** A watch silent this long past the end the server promised is a dead connection, not a quiet one. */
const SILENCE_GRACE_SECONDS = 30;
/**
 * How long refusals (401, 403, 404) may last before they end the stream. An API server that has
 * just restarted refuses until its RBAC cache has synced and serves no custom resource until it
 * has registered it again; a refusal that lasts this long is meant.
 */
export const REFUSAL_GRACE_MS = 30_000;

/** The API server refused the watch: the caller may no longer watch, or it cannot tell yet. */
class Refusal {
  readonly problem: Problem;
  constructor(problem: Problem) {
    this.problem = problem;
  }
}

/**
 * Follows one collection as the caller, with watches the API server serves from its watch cache:
 * the current objects first (sendInitialEvents), then every change. A watch the server ends is
 * started again from the last resourceVersion seen, so nothing is missed; an expired
 * resourceVersion (410) starts over with the current objects and says so; a refusal is tried again
 * until it has lasted REFUSAL_GRACE_MS.
 */
export class Follower {
  private readonly actor: Actor;
  private readonly options: FollowOptions;
  private readonly handlers: FollowHandlers;
  private readonly stopping = new AbortController();
  private position: string | undefined;
  private live = false;

  constructor(actor: Actor, options: FollowOptions, handlers: FollowHandlers) {
    this.actor = actor;
    this.options = options;
    this.handlers = handlers;
    this.position = options.resumeFrom;
    // A resumed stream continues one that was live: the client holds the initial objects already.
    this.live = options.resumeFrom !== undefined;
  }

  /** The resourceVersion to resume after what was delivered so far; undefined until live. */
  get at(): string | undefined {
    return this.live ? this.position : undefined;
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopping.abort();
  }

  private async run(): Promise<void> {
    let delay = RETRY_MIN_MS;
    let refusedSince: number | undefined;
    while (!this.stopping.signal.aborted) {
      const outcome = await this.watchOnce();
      if (outcome === "stopped") return;
      if (outcome instanceof Refusal) {
        refusedSince ??= Date.now();
        if (Date.now() - refusedSince >= REFUSAL_GRACE_MS) {
          this.handlers.fatal(outcome.problem);
          return;
        }
        this.options.log.warn({ status: outcome.problem.status }, "watch refused; retrying");
        await sleep(delay, this.stopping.signal);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
        continue;
      }
      refusedSince = undefined;
      if (outcome === "gone") {
        this.position = undefined;
        this.live = false;
        this.handlers.reset();
        continue;
      }
      if (outcome === "healthy") {
        delay = RETRY_MIN_MS;
        continue;
      }
      await sleep(delay, this.stopping.signal);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  private async watchOnce(): Promise<"healthy" | "failed" | "gone" | "stopped" | Refusal> {
    const watch = new AbortController();
    const stop = () => watch.abort();
    this.stopping.signal.addEventListener("abort", stop, { once: true });
    let ended: "gone" | "failed" | undefined;
    let delivered = false;
    // The server ends each watch after a while; spreading the ends keeps many streams from reconnecting at once.
    const timeoutSeconds = 240 + Math.floor(Math.random() * 120);
    const query: Query = {
      ...this.options.query,
      allowWatchBookmarks: true,
      timeoutSeconds,
      ...(this.position === undefined
        ? { sendInitialEvents: true, resourceVersionMatch: "NotOlderThan" }
        : { resourceVersion: this.position }),
    };
    try {
      await this.actor.watch(
        this.options.path,
        query,
        (type, object) => {
          if (type === "ERROR") {
            ended = (object as { code?: number }).code === 410 ? "gone" : "failed";
            if (ended === "failed") this.options.log.warn({ status: object }, "watch ended with an error");
            watch.abort();
            return;
          }
          delivered = true;
          this.onEvent(type, object as Record<string, unknown>);
        },
        watch.signal,
        (timeoutSeconds + SILENCE_GRACE_SECONDS) * 1000,
      );
    } catch (err) {
      if (this.stopping.signal.aborted) return "stopped";
      const code = statusCode(err);
      if (code === 410) return "gone";
      if (code === 401 || code === 403 || code === 404) return new Refusal(toProblem(err));
      this.options.log.warn({ error: (err as Error).message }, "watch failed; retrying");
      return "failed";
    } finally {
      this.stopping.signal.removeEventListener("abort", stop);
    }
    if (this.stopping.signal.aborted) return "stopped";
    return ended ?? (delivered ? "healthy" : "failed");
  }

  private onEvent(type: string, object: Record<string, unknown>): void {
    const metadata = object.metadata as { resourceVersion?: string; annotations?: Record<string, string> };
    const version = metadata?.resourceVersion;
    if (type === "BOOKMARK") {
      if (!version) return;
      this.position = version;
      if (!this.live && metadata.annotations?.[INITIAL_EVENTS_END] === "true") {
        this.live = true;
        this.handlers.live();
      } else if (this.live) {
        this.handlers.moved();
      }
      return;
    }
    if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED") return;
    // Initial objects arrive in no particular resourceVersion order: only the end bookmark is a safe position.
    if (this.live && version) this.position = version;
    this.handlers.change(type, object);
  }
}
