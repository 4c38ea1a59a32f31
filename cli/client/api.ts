import { createParser, type EventSourceMessage } from "eventsource-parser";

/** Where the api is and who the caller is. */
export interface ApiTarget {
  /** http(s)://host:port of the api. */
  url: string;
  /** A Kubernetes bearer token, when the api authenticates callers. */
  token?: string | undefined;
}

interface ProblemBody {
  title?: string;
  detail?: string;
  errors?: string[];
}

/** A refusal or failure of the api, as one line a person can act on. */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** The api's problem+json, or what the answer was, folded into one line. */
export function problemLine(status: number, statusText: string, body: unknown): string {
  const problem = (typeof body === "object" && body !== null ? body : {}) as ProblemBody;
  const detail = problem.detail || problem.title || statusText || "no detail";
  const errors =
    Array.isArray(problem.errors) && problem.errors.length > 0 ? ` (${problem.errors.join("; ")})` : "";
  return `${status} ${detail}${errors}`.replace(/\s*[\r\n]+\s*/g, " ");
}

/** The REST api as the CLI uses it: JSON calls and Server-Sent Events, every refusal an ApiError. */
export class ApiClient {
  readonly target: ApiTarget;
  private readonly transport: typeof fetch;

  /** `transport` is fetch, or one bound to another connection (local-api.ts: a Unix socket). */
  constructor(target: ApiTarget, transport: typeof fetch = fetch) {
    this.target = { ...target, url: target.url.replace(/\/+$/, "") };
    this.transport = transport;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.target.token ? { authorization: `Bearer ${this.target.token}` } : {}),
      ...extra,
    };
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.transport(`${this.target.url}${path}`, init);
    } catch (err) {
      if (init.signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(
        0,
        `the api at ${this.target.url} did not answer: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
  }

  private static async refusal(res: Response): Promise<ApiError> {
    const body = await res.json().catch(() => undefined);
    return new ApiError(res.status, problemLine(res.status, res.statusText, body));
  }

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await this.fetch(path, {
      method,
      headers: this.headers({
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
    if (!res.ok) throw await ApiClient.refusal(res);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * One event stream, message by message, until the server ends it or `signal` aborts. Resumes
   * from `lastEventId` when given; each message carries the id to resume from next.
   */
  async *events(path: string, options: { lastEventId?: string | undefined; signal: AbortSignal }) {
    const res = await this.fetch(path, {
      headers: this.headers({
        accept: "text/event-stream",
        ...(options.lastEventId ? { "last-event-id": options.lastEventId } : {}),
      }),
      signal: options.signal,
    });
    if (!res.ok || !res.body) throw await ApiClient.refusal(res);
    const queue: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (message) => queue.push(message) });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(value);
        yield* queue.splice(0);
      }
    } catch (err) {
      if (!options.signal.aborted) throw new ApiError(0, `the event stream broke: ${(err as Error).message}`);
    } finally {
      // Also when the caller stops early: the connection closes instead of holding the process open.
      await reader.cancel().catch(() => undefined);
    }
  }
}
