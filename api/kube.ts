import { createInterface } from "node:readline";
import { HttpMethod, KubeConfig, RequestContext } from "@kubernetes/client-node";
import { Agent, type Dispatcher } from "undici";
import { kubeRequests } from "./metrics.ts";

/** Whom the api acts as: the authenticated caller, whose rights Kubernetes checks. */
export interface Caller {
  username: string;
  groups: string[];
}

export type Verb = "GET" | "POST" | "PATCH" | "DELETE";
export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** A patch type for PATCH; JSON otherwise. */
  contentType?: string;
  /** Impersonate this caller; the api's own identity when omitted. */
  as?: Caller;
  timeoutMs?: number;
}

/** metav1.Status, the body of every error the API server answers. */
export interface KubeStatus {
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: { field?: string; message?: string; reason?: string }[];
  };
}

/** The API server answered with an error status. */
export class KubeError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly details: KubeStatus["details"];
  /** Seconds the server asked us to wait (429, 503). */
  readonly retryAfter: number | undefined;

  constructor(status: number, body: KubeStatus, retryAfter: number | undefined) {
    super(body.message ?? `the Kubernetes API server answered ${status}`);
    this.name = "KubeError";
    this.status = status;
    this.reason = body.reason;
    this.details = body.details;
    this.retryAfter = retryAfter;
  }
}

/** No answer from the API server: connection refused, reset, or timed out. */
export class KubeUnreachable extends Error {
  constructor(cause: unknown) {
    super(`the Kubernetes API server did not answer: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = "KubeUnreachable";
  }
}

export type WatchEventHandler = (type: string, object: Record<string, unknown>) => void;

const USER_AGENT = "agentyard-api";
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The api's connection to the Kubernetes API server. Credentials, TLS and the server come from the
 * kubeconfig through client-node; requests go out through one pooled HTTP/1.1 undici Agent of our
 * own, because impersonation needs one `Impersonate-Group` line per group, and both fetch and
 * undici's HTTP/2 fold repeated headers into one comma-separated value that the API server reads as
 * a single group.
 */
export class Kube {
  readonly server: string;
  private readonly kc: KubeConfig;
  private dispatcher: Promise<Dispatcher> | undefined;

  constructor(kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    this.kc = kc;
    this.server = cluster.server.replace(/\/+$/, "");
  }

  /** From a kubeconfig file; in-cluster or $KUBECONFIG when no path is given. */
  static load(path?: string): Kube {
    const kc = new KubeConfig();
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
    return new Kube(kc);
  }

  async request<T>(verb: Verb, path: string, options: RequestOptions = {}): Promise<T> {
    const body =
      options.body === undefined ? undefined : { body: options.body, contentType: options.contentType };
    const response = await this.send(verb, path, options, body, AbortSignal.timeout(timeout(options)));
    const text = await response.body.text();
    const parsed = text ? parseJson(text) : undefined;
    if (response.statusCode >= 300) throw errorOf(response, parsed, text);
    return parsed as T;
  }

  /** A GET whose plain-text answer is returned as it is, such as a pod's log. */
  async text(path: string, options: RequestOptions = {}): Promise<string> {
    const response = await this.send("GET", path, options, undefined, AbortSignal.timeout(timeout(options)));
    const text = await response.body.text();
    if (response.statusCode >= 300) throw errorOf(response, parseJson(text), text);
    return text;
  }

  /**
   * Watches a collection until the server closes the stream or `signal` aborts. Resolves on a clean
   * end; rejects with KubeError when the server refuses the watch, KubeUnreachable when it is gone.
   */
  async watch(path: string, query: Query, onEvent: WatchEventHandler, signal: AbortSignal, as?: Caller) {
    const response = await this.send(
      "GET",
      path,
      { query: { ...query, watch: true }, as },
      undefined,
      signal,
    );
    if (response.statusCode >= 300) {
      const text = await response.body.text();
      throw errorOf(response, parseJson(text), text);
    }
    const lines = createInterface({ input: response.body, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of lines) {
        if (!line) continue;
        const event = parseJson(line) as { type?: string; object?: Record<string, unknown> } | string;
        if (typeof event === "object" && event.type && event.object) onEvent(event.type, event.object);
      }
    } catch (err) {
      if (signal.aborted) return;
      throw new KubeUnreachable(err);
    } finally {
      response.body.destroy();
    }
  }

  /** An HTTP/1.1 Agent with the kubeconfig's TLS settings: its CA, client certificate and server name. */
  private async agent(): Promise<Dispatcher> {
    if (this.kc.getCurrentCluster()?.proxyUrl) {
      throw new Error("the api does not support proxy-url in its kubeconfig; reach the API server directly");
    }
    const https: Record<string, unknown> = {};
    await this.kc.applyToHTTPSOptions(https);
    const tls = Object.fromEntries(
      ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"]
        .filter((k) => https[k] !== undefined)
        .map((k) => [k, https[k]]),
    );
    return new Agent({ allowH2: false, connect: { ...tls, keepAlive: true, keepAliveInitialDelay: 30_000 } });
  }

  async close(): Promise<void> {
    const dispatcher = await this.dispatcher?.catch(() => undefined);
    await dispatcher?.close();
  }

  private async send(
    verb: Verb,
    path: string,
    options: RequestOptions,
    body: { body: unknown; contentType: string | undefined } | undefined,
    signal: AbortSignal,
  ): Promise<Dispatcher.ResponseData> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const ctx = new RequestContext(url.toString(), HttpMethod[verb]);
    // Called per request: a rotated ServiceAccount token or an exec plugin's fresh token is picked up.
    await this.kc.applySecurityAuthentication(ctx);
    this.dispatcher ??= this.agent();
    const dispatcher = await this.dispatcher;
    // A flat [name, value, ...] list, so that a repeated name goes out as repeated lines.
    const headers: string[] = [];
    for (const [name, value] of Object.entries(ctx.getHeaders())) {
      if (!/^(accept|user-agent)$/i.test(name)) headers.push(name, value);
    }
    headers.push("accept", "application/json", "user-agent", USER_AGENT);
    if (options.as) {
      headers.push("impersonate-user", options.as.username);
      for (const group of options.as.groups) headers.push("impersonate-group", group);
    }
    if (body) headers.push("content-type", body.contentType ?? "application/json");
    try {
      const response = await dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: verb,
        headers,
        body: body ? JSON.stringify(body.body) : undefined,
        signal,
      });
      kubeRequests.inc({ verb, code: String(response.statusCode) });
      return response;
    } catch (err) {
      kubeRequests.inc({ verb, code: "error" });
      throw new KubeUnreachable(err);
    }
  }
}

function timeout(options: RequestOptions): number {
  return options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
}

function errorOf(response: Dispatcher.ResponseData, parsed: unknown, text: string): KubeError {
  const status: KubeStatus =
    parsed && typeof parsed === "object" ? (parsed as KubeStatus) : { message: text.slice(0, 500) };
  const header = response.headers["retry-after"];
  const retryAfter = Number.parseInt(Array.isArray(header) ? (header[0] ?? "") : (header ?? ""), 10);
  return new KubeError(response.statusCode, status, Number.isFinite(retryAfter) ? retryAfter : undefined);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The path of a collection or object of a group/version, with every segment escaped. */
export function resourcePath(
  apiVersion: string,
  plural: string,
  { namespace, name, subresource }: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const obj = name ? `/${encodeURIComponent(name)}` : "";
  const sub = subresource ? `/${subresource}` : "";
  return `${base}${ns}/${plural}${obj}${sub}`;
}
