import { readFile } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";

/** A ConfigMap of the pod's namespace and how to reach it: the pod's ServiceAccount. */
export interface ConfigMapTarget {
  /**
   * The API server's base URL, e.g. https://10.0.0.1:443. An http: one has no TLS to check, so it
   * is only for a server with nothing in between, such as a test's on loopback.
   */
  server: string;
  /** PEM of the CA that signed the API server's certificate. */
  ca: string;
  /** Read on every request: the projected token is rotated by the kubelet. */
  tokenFile: string;
  namespace: string;
  name: string;
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

export class RequestError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, status?: number, code?: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The namespace's ConfigMaps; `/${name}` after it is one of them. */
export const configMapsPath = (namespace: string) =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;

export const configMapPath = (target: ConfigMapTarget) =>
  `${configMapsPath(target.namespace)}/${encodeURIComponent(target.name)}`;

export interface ApiRequest {
  method: "GET" | "PATCH";
  /** Below the server's URL, with its query. */
  path: string;
  body?: string;
  contentType?: string;
  /** How long the connection may stay silent before the request fails with ETIMEDOUT. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Sends a request with the ServiceAccount's token. It resolves once the response's head arrives,
 * its body still to read (a watch's never ends), and rejects with a RequestError carrying the
 * connection's error code.
 */
export async function send(target: ConfigMapTarget, req: ApiRequest): Promise<IncomingMessage> {
  const token = (await readFile(target.tokenFile, "utf8")).trim();
  const url = new URL(`${target.server.replace(/\/+$/, "")}${req.path}`);
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
  if (req.contentType !== undefined) headers["content-type"] = req.contentType;
  const options: RequestOptions = { method: req.method, ca: target.ca, headers, timeout: req.timeoutMs };
  if (req.signal) options.signal = req.signal;
  return new Promise((resolve, reject) => {
    const open = url.protocol === "http:" ? httpRequest : httpsRequest;
    const sent = open(url, options, resolve);
    sent.on("timeout", () =>
      sent.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })),
    );
    sent.on("error", (err: NodeJS.ErrnoException) =>
      reject(new RequestError(err.message, undefined, err.code ?? "EUNKNOWN")),
    );
    sent.end(req.body);
  });
}

/** A response's whole body; a connection lost before its end is ECONNRESET. */
export function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      text += chunk;
    });
    res.on("end", () => resolve(text));
    res.on("error", (err) => reject(new RequestError(err.message, undefined, "ECONNRESET")));
  });
}

/** The API server's Status message, or the start of whatever it answered. */
export function reason(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: string };
    if (status.message) return status.message;
  } catch {
    // Not a Status object.
  }
  return body.slice(0, 200);
}
