import type { ReactiveController, ReactiveControllerHost } from "lit";
import { get } from "../api/client.ts";
import { type ApiProblem, asProblem } from "../api/problem.ts";

export interface FetchOptions {
  /** The api path to read, from the host's current properties; nothing is read while undefined. */
  path: () => string | undefined;
  /** Read the same path again whenever this changes: a task's resourceVersion for its Events. */
  key?: () => string | undefined;
  /** Read again this often while it returns a number: a log tail of a running task, health. */
  refreshMs?: () => number | undefined;
}

/**
 * One api resource read for an element: read again when the path its properties make changes, on
 * reload(), and on a timer while refreshMs asks for it. The element renders value, problem and
 * loading, and never fetches itself.
 */
export class FetchController<T> implements ReactiveController {
  value: T | undefined;
  problem: ApiProblem | undefined;
  loading = false;
  private readonly host: ReactiveControllerHost;
  private readonly options: FetchOptions;
  private current: string | undefined;
  private currentKey: string | undefined;
  private inflight: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: ReactiveControllerHost, options: FetchOptions) {
    this.host = host;
    this.options = options;
    host.addController(this);
  }

  hostUpdate(): void {
    const path = this.options.path();
    const key = this.options.key?.();
    if (path === this.current && key === this.currentKey) return;
    if (path !== this.current) {
      this.value = undefined;
      this.problem = undefined;
    }
    this.current = path;
    this.currentKey = key;
    void this.load();
  }

  hostDisconnected(): void {
    this.cancel();
    // Reconnected, the element reads afresh.
    this.current = undefined;
  }

  reload(): Promise<void> {
    return this.load();
  }

  private cancel(): void {
    this.inflight?.abort();
    clearTimeout(this.timer);
  }

  private async load(): Promise<void> {
    this.cancel();
    const path = this.current;
    if (path === undefined) return;
    const inflight = new AbortController();
    this.inflight = inflight;
    this.loading = true;
    this.host.requestUpdate();
    try {
      this.value = await get<T>(path, inflight.signal);
      this.problem = undefined;
    } catch (err) {
      if (inflight.signal.aborted) return;
      this.problem = asProblem(err);
    }
    this.loading = false;
    this.host.requestUpdate();
    const every = this.options.refreshMs?.();
    if (every !== undefined) this.timer = setTimeout(() => void this.load(), every);
  }
}
