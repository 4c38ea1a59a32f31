import type { PullRequestForge } from "./forge.ts";
import { Redactor } from "./redact.ts";

/** The longest part of a forge's own message that an error quotes. */
const MAX_FORGE_MESSAGE = 300;

/**
 * A pull request the forge would not open or update, or could not be asked about. The message says
 * which forge, which request, the HTTP status and what the forge said; it never holds the token.
 */
export class PullRequestError extends Error {
  override readonly name = "PullRequestError";
  readonly forge: PullRequestForge;
  /** The forge's HTTP status; undefined when no answer came (network, deadline) or it was unreadable. */
  readonly status: number | undefined;

  constructor(forge: PullRequestForge, message: string, status?: number) {
    super(message);
    this.forge = forge;
    this.status = status;
  }
}

/** The human part of a forge's error body: GitHub's and Gitea's `message` (+ `errors`), GitLab's `message` or `error`. */
export function forgeMessage(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body.trim();
  }
  if (typeof parsed !== "object" || parsed === null) return body.trim();
  const record = parsed as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of ["message", "error", "error_description"]) {
    const value = record[key];
    if (value === undefined || value === null || value === "") continue;
    parts.push(typeof value === "string" ? value : JSON.stringify(value));
  }
  if (Array.isArray(record.errors)) {
    for (const e of record.errors) {
      if (typeof e === "string") parts.push(e);
      else if (e && typeof e === "object") {
        const { message, code, field } = e as Record<string, unknown>;
        parts.push(typeof message === "string" ? message : [field, code].filter(Boolean).join(" "));
      }
    }
  }
  return parts.filter((p) => p !== "").join("; ") || body.trim();
}

/** What a refusal usually means, where the forge's own words often do not say. */
const HINTS: Record<number, string> = {
  401: "the forge refused the token",
  403: "the token lacks the rights for this",
  404: "no such repository or pull request, or the token may not see it",
};

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export interface ForgeHttpOptions {
  forge: PullRequestForge;
  apiBase: string;
  token: string;
  /** The header that carries the token, as each forge documents it. */
  auth: (token: string) => Record<string, string>;
  headers?: Record<string, string>;
  /** The deadline of each request. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface ForgeAnswer {
  status: number;
  data: unknown;
}

/**
 * JSON over HTTP to one forge's REST API with one token: each request has its own deadline, an
 * answer outside 2xx (but for the statuses a caller expects) is a PullRequestError, and everything
 * that leaves here, errors and answers, has the token taken out, even where the forge echoes it.
 */
export class ForgeHttp {
  readonly forge: PullRequestForge;
  readonly #options: ForgeHttpOptions;
  readonly #redactor = new Redactor();

  constructor(options: ForgeHttpOptions) {
    this.forge = options.forge;
    this.#options = options;
    this.#redactor.add(options.token);
  }

  redact(text: string): string {
    return this.#redactor.redact(text);
  }

  fail(message: string, status?: number): PullRequestError {
    return new PullRequestError(this.forge, this.redact(`${this.forge}: ${message}`), status);
  }

  async send(
    method: "GET" | "POST" | "PATCH" | "PUT",
    path: string,
    request: { query?: Record<string, string>; body?: unknown; expect?: number[] } = {},
  ): Promise<ForgeAnswer> {
    const query = request.query ? `?${new URLSearchParams(request.query)}` : "";
    const what = `${method} ${path}`;
    const signals = [AbortSignal.timeout(this.#options.timeoutMs)];
    if (this.#options.signal) signals.push(this.#options.signal);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.#options.apiBase}${path}${query}`, {
        method,
        headers: {
          accept: "application/json",
          "user-agent": "agentyard",
          ...(request.body === undefined ? {} : { "content-type": "application/json" }),
          ...this.#options.headers,
          ...this.#options.auth(this.#options.token),
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        redirect: "error",
        signal: AbortSignal.any(signals),
      });
      text = await response.text();
    } catch (err) {
      const error = err as Error & { cause?: { message?: string } };
      if (error.name === "TimeoutError") {
        throw this.fail(`${what} had no answer within ${this.#options.timeoutMs} ms`);
      }
      const cause = error.cause?.message ? ` (${error.cause.message})` : "";
      throw this.fail(`${what} failed: ${error.message}${cause}`);
    }
    if (!response.ok && !request.expect?.includes(response.status)) {
      const said = cut(this.redact(forgeMessage(text)), MAX_FORGE_MESSAGE);
      const hint = HINTS[response.status];
      throw this.fail(
        `${what} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}${said ? `: ${said}` : ""}${hint ? ` (${hint})` : ""}`,
        response.status,
      );
    }
    if (!response.ok || text === "") return { status: response.status, data: undefined };
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw this.fail(
        `${what} answered HTTP ${response.status} with a body that is not JSON`,
        response.status,
      );
    }
    return { status: response.status, data: this.#redactValues(data) };
  }

  /** Every string in a parsed answer, redacted: a forge may echo the token in any field. */
  #redactValues(value: unknown): unknown {
    if (typeof value === "string") return this.redact(value);
    if (Array.isArray(value)) return value.map((v) => this.#redactValues(v));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.#redactValues(v)]));
    }
    return value;
  }
}
