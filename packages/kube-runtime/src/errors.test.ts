import { describe, expect, it } from "vitest";
import { statusCode } from "./client.ts";
import { KubeError, KubeUnreachable } from "./errors.ts";

describe("KubeError", () => {
  const forbidden = {
    kind: "Status",
    message: 'agenttasks.agentyard.dev "t" is forbidden: User "bob" cannot delete resource',
    reason: "Forbidden",
    details: { name: "t", kind: "agenttasks" },
    code: 403,
  };

  it("carries the server's metav1.Status, and names the request in its message for logs", () => {
    const err = new KubeError("DELETE /apis/x/t", 403, JSON.stringify(forbidden), {});
    expect(err.code).toBe(403);
    expect(statusCode(err)).toBe(403);
    expect(err.status).toMatchObject({ reason: "Forbidden", details: { kind: "agenttasks" } });
    expect(err.status.message).toBe(forbidden.message);
    expect(err.message).toContain(`DELETE /apis/x/t: ${forbidden.message}`);
  });

  it("reads Retry-After", () => {
    const err = new KubeError("GET /x", 429, JSON.stringify({ message: "slow down" }), {
      "retry-after": "7",
    });
    expect(err.retryAfter).toBe(7);
    expect(new KubeError("GET /x", 503, "", {}).retryAfter).toBeUndefined();
  });

  it("makes a Status of an answer that was none: its text, or the code when it said nothing", () => {
    expect(new KubeError("GET /log", 502, "bad gateway from the kubelet", {}).status).toEqual({
      message: "bad gateway from the kubelet",
    });
    expect(new KubeError("GET /x", 500, JSON.stringify({ reason: "InternalError" }), {}).status).toEqual({
      reason: "InternalError",
      message: "the Kubernetes API server answered 500",
    });
  });
});

describe("KubeUnreachable", () => {
  it("says what failed, from the cause fetch wraps in TypeError('fetch failed')", () => {
    const refused = new TypeError("fetch failed", {
      cause: new Error("connect ECONNREFUSED 127.0.0.1:6443"),
    });
    expect(new KubeUnreachable(refused).message).toBe(
      "the Kubernetes API server did not answer: connect ECONNREFUSED 127.0.0.1:6443",
    );
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(new KubeUnreachable(timeout).message).toBe(
      "the Kubernetes API server did not answer: The operation was aborted due to timeout",
    );
    expect(statusCode(new KubeUnreachable(refused))).toBeUndefined();
  });
});
