import { isIP } from "node:net";
import type { Logger } from "pino";
import type { AuthMode } from "./auth.ts";
import type { TlsFiles } from "./tls.ts";

export interface ApiOptions {
  /** Kubeconfig of the api's own identity; in-cluster or $KUBECONFIG when omitted. */
  kubeconfig?: string;
  /** host:port to serve on; port 0 picks a free one. */
  listen: string;
  /** token: callers authenticate with Kubernetes bearer tokens. none: the local devcluster only. */
  auth: AuthMode;
  logLevel: string;
  /** Requests per minute per caller (per address before authentication). */
  rateLimitPerMinute: number;
  /** Tokens not yet known that one address may have reviewed (TokenReview) per minute. */
  reviewsPerMinutePerAddress: number;
  /** With auth none: a bearer token every request must carry, e.g. one npm start makes per run. */
  localToken?: string;
  /** Event streams open at once, in all and per caller. */
  maxStreams: number;
  maxStreamsPerCaller: number;
  bodyLimitBytes: number;
  /** Origins allowed by CORS; none (CORS off) when empty. */
  corsOrigins: string[];
  /** Heartbeat interval of event streams. */
  heartbeatMs: number;
  /** How long an accepted token is trusted before TokenReview is asked again. */
  tokenCacheMs: number;
  /** How long an allowed SubjectAccessReview is kept (review.ts says why that grants nothing). */
  accessCacheMs: number;
  /** How long an Org a caller read is kept for that caller's schedules (recent-orgs.ts says why that is safe). */
  orgCacheMs: number;
  /** Serve HTTPS with this certificate and key (PEM files), served anew when the files change. */
  tls?: TlsFiles;
  /** A logger to use instead of one made from logLevel (tests pass a silent one). */
  log?: Logger;
  /** Fail every answer its route's response schema does not allow (response-check.ts); the test suites do. */
  checkResponses?: boolean;
}

export function defaultApiOptions(): ApiOptions {
  return {
    listen: "127.0.0.1:8080",
    auth: "token",
    logLevel: "info",
    rateLimitPerMinute: 600,
    reviewsPerMinutePerAddress: 300,
    maxStreams: 1000,
    maxStreamsPerCaller: 8,
    bodyLimitBytes: 256 * 1024,
    corsOrigins: [],
    heartbeatMs: 15_000,
    tokenCacheMs: 10_000,
    accessCacheMs: 10_000,
    orgCacheMs: 10_000,
  };
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:8080`, `[::1]:8080`, `localhost:0`; a bare `:8080` means every interface. */
export function parseListen(address: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65_535) {
    throw new Error(`listen address ${JSON.stringify(address)} must be host:port, e.g. 127.0.0.1:8080`);
  }
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/** --auth=none hands the api's own rights to anyone who can connect: only this machine may. */
export function checkAuthMode(auth: AuthMode, listen: ListenAddress): void {
  if (auth === "none" && !isLoopback(listen.host)) {
    throw new Error(
      `--auth=none serves without authentication and may only listen on a loopback address (127.0.0.1, ::1, localhost), not ${listen.host}`,
    );
  }
}
