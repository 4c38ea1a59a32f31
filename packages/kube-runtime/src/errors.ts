import { ApiException } from "@kubernetes/client-node";
import { parseJson } from "./json.ts";

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

/**
 * The API server answered a raw request (request, text, watch) with an error status: an
 * ApiException, as client-node's typed APIs throw, with the answer read. `status` is the server's
 * metav1.Status, whose reason and causes say what went wrong and whose message, in the server's own
 * words, names the object and often the fix; `message` also names the request, for logs.
 */
export class KubeError extends ApiException<unknown> {
  /** The server's metav1.Status; for an answer that was none, one whose message is the answer's start. */
  readonly status: KubeStatus & { message: string };
  /** Seconds the server asked to wait before a retry (429, 503). */
  readonly retryAfter: number | undefined;

  /** `answer` is the body the server sent with status `code`, as text. */
  constructor(request: string, code: number, answer: string, headers: Record<string, string>) {
    const body = answer ? parseJson(answer) : undefined;
    super(code, `${request}: ${(body as KubeStatus | undefined)?.message ?? answer}`, body, headers);
    this.name = "KubeError";
    this.status =
      body && typeof body === "object"
        ? {
            ...(body as KubeStatus),
            message: (body as KubeStatus).message ?? `the Kubernetes API server answered ${code}`,
          }
        : { message: answer.slice(0, 500) };
    const retryAfter = Number.parseInt(headers["retry-after"] ?? "", 10);
    this.retryAfter = Number.isFinite(retryAfter) ? retryAfter : undefined;
  }
}

/**
 * How an admission policy that fences leader terms starts its message when it refuses a replica
 * that does not hold the Lease (agentyard's: schema/contract/fencing.ts).
 */
export const NOT_LEADER_PREFIX = "not the leader: ";

/**
 * The server's message when it refused `err`'s request because this replica does not hold the
 * Lease: its term is over, whatever its own clock says. Undefined for any other error.
 */
export function notLeaderMessage(err: unknown): string | undefined {
  if (!(err instanceof KubeError) || err.code !== 403) return undefined;
  return err.status.message.includes(NOT_LEADER_PREFIX) ? err.status.message : undefined;
}

/** No answer from the API server: connection refused, reset, or timed out. */
export class KubeUnreachable extends Error {
  constructor(cause: unknown) {
    super(`the Kubernetes API server did not answer: ${reasonOf(cause)}`, { cause });
    this.name = "KubeUnreachable";
  }
}

/** fetch reports a failed connection as TypeError("fetch failed"), whose cause says what failed. */
function reasonOf(err: unknown): string {
  const cause = err instanceof TypeError && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
