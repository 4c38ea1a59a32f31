import { Readable } from "node:stream";
import { type KubeConfig, type RequestContext, ResponseContext } from "@kubernetes/client-node";
import { Agent, type Dispatcher } from "undici";

/** Whom a request acts as, instead of the kubeconfig's own identity; the API server applies their RBAC. */
export interface Impersonation {
  username: string;
  groups: string[];
  /** The user's uid, as their authenticator reported it (Impersonate-Uid). */
  uid?: string;
  /** What else the authenticator said about them, e.g. a ServiceAccount token's pod and credential id. */
  extra?: Record<string, string[]>;
}

/**
 * An extra's key as an Impersonate-Extra-<key> header name: keys such as
 * `authentication.kubernetes.io/credential-id` hold characters a header name may not, so the API
 * server reads the name percent-encoded.
 */
export function extraHeaderName(key: string): string {
  const encoded = Array.from(new TextEncoder().encode(key), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
  return `impersonate-extra-${encoded}`;
}

/**
 * Sends requests that act as someone else (Impersonate-User, -Group, -Uid, -Extra-*) through one pooled
 * HTTP/1.1 undici Agent with the kubeconfig's TLS settings. Impersonation needs one
 * Impersonate-Group line per group, and both fetch and undici's HTTP/2 fold repeated headers into
 * one comma-separated value that the API server reads as a single group.
 */
export class ImpersonatingTransport {
  private readonly kc: KubeConfig;
  private dispatcher: Promise<Dispatcher> | undefined;

  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  /** Sends a request made ready by the client (credentials, headers, body, signal), acting as `as`. */
  async send(ctx: RequestContext, as: Impersonation): Promise<ResponseContext> {
    this.dispatcher ??= this.agent();
    const dispatcher = await this.dispatcher;
    const url = new URL(ctx.getUrl());
    // A flat [name, value, ...] list, so that a repeated name goes out as repeated lines.
    const headers = Object.entries(ctx.getHeaders()).flat();
    headers.push("impersonate-user", as.username);
    for (const group of as.groups) headers.push("impersonate-group", group);
    if (as.uid) headers.push("impersonate-uid", as.uid);
    for (const [key, values] of Object.entries(as.extra ?? {})) {
      for (const value of values) headers.push(extraHeaderName(key), value);
    }
    const body = ctx.getBody();
    const response = await dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: ctx.getHttpMethod(),
      headers,
      body: typeof body === "string" ? body : undefined,
      signal: ctx.getSignal(),
    });
    const answer = response.body;
    return new ResponseContext(response.statusCode, singleValued(response.headers), {
      text: () => answer.text(),
      binary: async () => Buffer.from(await answer.arrayBuffer()),
      stream: () => Readable.toWeb(answer) as ReadableStream<Uint8Array>,
    });
  }

  /** Closes the pooled connections; a later request opens new ones. */
  async close(): Promise<void> {
    const closing = this.dispatcher;
    this.dispatcher = undefined;
    const dispatcher = await closing?.catch(() => undefined);
    await dispatcher?.close();
  }

  /** An HTTP/1.1 Agent with the kubeconfig's TLS settings: its CA, client certificate and server name. */
  private async agent(): Promise<Dispatcher> {
    if (this.kc.getCurrentCluster()?.proxyUrl) {
      throw new Error(
        "impersonation does not support proxy-url in the kubeconfig; reach the API server directly",
      );
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
}

function singleValued(headers: Dispatcher.ResponseData["headers"]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : String(value)]),
  );
}
