import { STATUS_CODES } from "node:http";
import { statusCode } from "@agentyard/kube-runtime";

/** Node's and OpenSSL's codes for a server certificate that does not verify. */
const TLS_VERIFICATION = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REJECTED",
  "CERT_REVOKED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
  "INVALID_CA",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
]);

const BY_CODE: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "the connection was reset",
  EPIPE: "the connection was reset",
  UND_ERR_SOCKET: "the connection was closed",
  ETIMEDOUT: "timed out",
  UND_ERR_CONNECT_TIMEOUT: "timed out",
  UND_ERR_HEADERS_TIMEOUT: "timed out",
  UND_ERR_BODY_TIMEOUT: "timed out",
  ENOTFOUND: "the server's host name does not resolve",
  EAI_AGAIN: "the server's host name does not resolve",
  EHOSTUNREACH: "the server's host is unreachable",
  ENETUNREACH: "the server's network is unreachable",
  EPROTO: "the TLS handshake failed",
};

/** An error and those along its causes: the runtime wraps a failed request, fetch wraps the socket's error, happy eyeballs aggregates them. */
function chain(err: unknown, depth = 0): object[] {
  if (!err || typeof err !== "object" || depth > 4) return [];
  const { cause, errors } = err as { cause?: unknown; errors?: unknown };
  const nested = [cause, ...(Array.isArray(errors) ? errors : [])];
  return [err, ...nested.flatMap((e) => chain(e, depth + 1))];
}

/**
 * What went wrong in a request to a cluster the operator does not trust, in the operator's words.
 * A remote server writes the body, headers and content type of its answers, and error messages
 * quote them (and a JSON parser quotes what it could not parse): none of it may reach an Org's or
 * a task's status, where it would let a kubeconfig's author read any URL through the operator.
 */
export function describeRemoteError(err: unknown): string {
  const status = statusCode(err);
  if (status !== undefined)
    return `HTTP ${status}${STATUS_CODES[status] ? ` (${STATUS_CODES[status]})` : ""}`;
  const errors = chain(err);
  const names = errors.map((e) => (e as { name?: unknown }).name);
  if (names.includes("TimeoutError") || names.includes("AbortError")) return "timed out";
  const codes = errors.map((e) => (e as { code?: unknown }).code).filter((c) => typeof c === "string");
  for (const code of codes) {
    if (TLS_VERIFICATION.has(code)) return "TLS verification failed";
    if (code.startsWith("ERR_SSL_")) return "the TLS handshake failed";
    const known = BY_CODE[code];
    if (known) return known;
  }
  if (errors.some((e) => e instanceof SyntaxError)) return "its answer could not be parsed";
  return "the request failed";
}
