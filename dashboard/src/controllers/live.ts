import { sleep } from "@agentyard/kube-runtime/sleep";
import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { AgentTask, Org } from "../../../schema/index.ts";
import { taskKey } from "../../../schema/task-key.ts";
import { ApiProblem, asProblem } from "../api/problem.ts";
import { readEventStream, type SseMessage } from "../api/sse.ts";

type Kind = "task" | "org";
export type Connection = "idle" | "connecting" | "live" | "retrying" | "failed";

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 15_000;

/**
 * Tasks and Orgs as the api's event stream tells them, kept current without reloads. The stream
 * covers everything the person may watch, or one Org when they may watch only that. A dropped
 * stream reconnects with Last-Event-ID and misses nothing; a refused one (403) stays refused.
 */
export class LiveController implements ReactiveController {
  readonly tasks = new Map<string, AgentTask>();
  readonly orgs = new Map<string, Org>();
  readonly synced: Record<Kind, boolean> = { task: false, org: false };
  connection: Connection = "idle";
  problem: ApiProblem | undefined;
  private readonly host: ReactiveControllerHost;
  private scope: string | undefined | null = null;
  private running: AbortController | undefined;

  constructor(host: ReactiveControllerHost) {
    this.host = host;
    host.addController(this);
  }

  /** Follows one Org, or all (undefined); null stops following. Restarts only when the scope changes. */
  follow(scope: string | undefined | null): void {
    if (scope === this.scope) return;
    this.stop();
    this.scope = scope;
    this.tasks.clear();
    this.orgs.clear();
    this.synced.task = this.synced.org = false;
    this.problem = undefined;
    if (scope === null) return;
    this.running = new AbortController();
    void this.run(scope, this.running.signal);
  }

  get loaded(): boolean {
    return this.synced.task && this.synced.org;
  }

  hostConnected(): void {
    const scope = this.scope;
    this.scope = null;
    if (scope !== null) this.follow(scope);
  }

  hostDisconnected(): void {
    this.stop();
  }

  private stop(): void {
    this.running?.abort();
    this.running = undefined;
    this.connection = "idle";
  }

  private async run(scope: string | undefined, signal: AbortSignal): Promise<void> {
    const path = scope ? `/api/v1/events?org=${encodeURIComponent(scope)}` : "/api/v1/events";
    let lastEventId: string | undefined;
    let delay = RETRY_MIN_MS;
    while (!signal.aborted) {
      this.set({ connection: lastEventId ? "retrying" : "connecting" });
      try {
        const parser = await readEventStream(path, {
          lastEventId,
          signal,
          onOpen: () => {
            delay = RETRY_MIN_MS;
            this.set({ connection: "live", problem: undefined });
          },
          onMessage: (message) => this.receive(message),
        });
        lastEventId = parser.lastEventId;
        delay = parser.retryMs ?? delay;
        // The api ends a stream with an `error` event when the person may no longer watch.
        if (this.problem && refused(this.problem)) throw this.problem;
      } catch (err) {
        const problem = asProblem(err);
        if (refused(problem)) {
          this.set({ connection: "failed", problem });
          return;
        }
        this.set({ connection: "retrying", problem });
      }
      if (signal.aborted) return;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  private receive({ event, data }: SseMessage): void {
    const body = JSON.parse(data);
    if (event === "task" || event === "org") {
      const { type, object } = body as { type: string; object: AgentTask | Org };
      if (event === "task") this.apply(this.tasks, taskKey(object as AgentTask), type, object as AgentTask);
      else this.apply(this.orgs, object.metadata.name as string, type, object as Org);
    } else if (event === "synced") {
      this.synced[body.kind as Kind] = true;
    } else if (event === "reset") {
      // The api lost its place: what we hold of this kind may be stale; it sends everything again.
      this.synced[body.kind as Kind] = false;
      (body.kind === "task" ? this.tasks : this.orgs).clear();
    } else if (event === "error") {
      this.problem = new ApiProblem(body);
    }
    this.host.requestUpdate();
  }

  private apply<T>(map: Map<string, T>, key: string, type: string, object: T): void {
    if (type === "DELETED") map.delete(key);
    else map.set(key, object);
  }

  private set(state: { connection?: Connection; problem?: ApiProblem | undefined }): void {
    Object.assign(this, state);
    this.host.requestUpdate();
  }
}

/** Refusals do not get better by asking again; outages do. */
function refused(problem: ApiProblem): boolean {
  return problem.status >= 400 && problem.status < 500 && problem.status !== 429;
}
