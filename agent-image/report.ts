import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { type AgentState, formatAgentState, STATE_KEYS } from "../schema/contract/index.ts";

/** Where the state ConfigMap is and how to authenticate: the pod's ServiceAccount. */
export interface StateTarget {
  /** The API server's base URL, e.g. https://10.0.0.1:443. */
  server: string;
  /** PEM of the CA that signed the API server's certificate. */
  ca: string;
  /** Read on every request: the projected token is rotated by the kubelet. */
  tokenFile: string;
  namespace: string;
  name: string;
}

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

const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/** A failure that may pass by itself: the API server restarting or overloaded, a write conflict. */
export function isTransient(status: number | undefined, code?: string): boolean {
  if (status === undefined) return code !== undefined && TRANSIENT_CODES.has(code);
  return status >= 500 || status === 429 || status === 409 || status === 408;
}

class RequestError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, status?: number, code?: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
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
    const { server, ca, tokenFile, namespace, name } = this.#target;
    const token = (await readFile(tokenFile, "utf8")).trim();
    const url = `${server.replace(/\/+$/, "")}/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/merge-patch+json";
    return new Promise((resolve, reject) => {
      const req = request(url, { method, ca, headers, timeout: 10_000 }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", (err: NodeJS.ErrnoException) =>
          reject(new RequestError(err.message, undefined, "ECONNRESET")),
        );
      });
      req.on("timeout", () =>
        req.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })),
      );
      req.on("error", (err: NodeJS.ErrnoException) =>
        reject(new RequestError(err.message, undefined, err.code ?? "EUNKNOWN")),
      );
      req.end(body);
    });
  }
}

/** The API server's Status message, or the start of whatever it answered. */
function reason(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: string };
    if (status.message) return status.message;
  } catch {
    // Not a Status object.
  }
  return body.slice(0, 200);
}
