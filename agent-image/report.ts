import { type AgentState, formatAgentState, STATE_KEYS } from "../schema/contract/index.ts";
import {
  type ConfigMapTarget,
  configMapPath,
  isTransient,
  RequestError,
  readBody,
  reason,
  send,
} from "./kube-api.ts";

/** Where the state ConfigMap is and how to authenticate: the pod's ServiceAccount. */
export type StateTarget = ConfigMapTarget;

export interface ReporterOptions {
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** How long one report keeps retrying transient failures before it is given up. */
  maxRetryMs?: number;
  firstBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Response {
  status: number;
  body: string;
}

/**
 * Writes the agent's state into its ConfigMap. Each report carries the attempt's whole state (keys no
 * longer present are nulled by the merge patch), so the newest report supersedes any that is still
 * waiting to be retried. Reporting never throws: a lost report must not fail the task.
 */
export class StateReporter {
  readonly #target: StateTarget;
  readonly #options: Required<ReporterOptions>;
  #latest: AgentState | undefined;
  #running: Promise<void> | undefined;
  #lastError: string | undefined;

  constructor(target: StateTarget, options: ReporterOptions) {
    this.#target = target;
    this.#options = { maxRetryMs: 300_000, firstBackoffMs: 250, maxBackoffMs: 5_000, ...options };
  }

  /** Why the last report failed for good, if it did. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  report(state: AgentState): void {
    this.#latest = structuredClone(state);
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  /** Waits until every report is written or given up, or the timeout passes; true when all landed. */
  async flush(timeoutMs = 30_000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const done = await Promise.race([this.#idle(), timeout]);
    clearTimeout(timer);
    return done !== "timeout" && this.#lastError === undefined;
  }

  async #idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** The ConfigMap's data, or undefined when it cannot be read. */
  async read(): Promise<Record<string, string> | undefined> {
    try {
      const res = await this.#request("GET");
      if (res.status !== 200) return undefined;
      return (JSON.parse(res.body) as { data?: Record<string, string> }).data ?? {};
    } catch {
      return undefined;
    }
  }

  async #drain(): Promise<void> {
    while (this.#latest) {
      const state = this.#latest;
      this.#latest = undefined;
      await this.#write(state);
    }
  }

  async #write(state: AgentState): Promise<void> {
    const data: Record<string, string | null> = formatAgentState(state);
    for (const key of Object.values(STATE_KEYS)) if (!(key in data)) data[key] = null;
    const body = JSON.stringify({ data });
    const deadline = Date.now() + this.#options.maxRetryMs;
    let backoff = this.#options.firstBackoffMs;
    for (;;) {
      let error: RequestError;
      try {
        const res = await this.#request("PATCH", body);
        if (res.status === 200) {
          this.#lastError = undefined;
          return;
        }
        error = new RequestError(`HTTP ${res.status}: ${reason(res.body)}`, res.status);
      } catch (err) {
        error = err instanceof RequestError ? err : new RequestError((err as Error).message);
      }
      const retry = isTransient(error.status, error.code) && Date.now() + backoff < deadline;
      // A newer state replaces this one; it is written on the next turn of #drain.
      if (!retry || this.#latest) {
        if (!this.#latest) {
          this.#lastError = error.message;
          this.#options.log("could not report the agent's state", { error: error.message });
        }
        return;
      }
      this.#options.log("reporting the agent's state failed; retrying", { error: error.message, backoff });
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, this.#options.maxBackoffMs);
    }
  }

  async #request(method: "GET" | "PATCH", body?: string): Promise<Response> {
    const res = await send(this.#target, {
      method,
      path: configMapPath(this.#target),
      ...(body === undefined ? {} : { body, contentType: "application/merge-patch+json" }),
      timeoutMs: 10_000,
    });
    return { status: res.statusCode ?? 0, body: await readBody(res) };
  }
}
