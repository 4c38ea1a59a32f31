import { KubeError, KubeUnreachable } from "@agentyard/kube-runtime";
import { describe, expect, it } from "vitest";
import { ScheduleRequestSchema } from "../schema/rest.ts";
import { describe as describeAttributes } from "./actor.ts";
import { Problem, toProblem } from "./problem.ts";

describe("problems", () => {
  it("name every invalid field of a body", () => {
    const error = ScheduleRequestSchema.safeParse({ org: "Acme", task: { prompt: "", extra: 1 } }).error;
    const problem = toProblem(Object.assign(error as Error, { validationContext: "body" }));
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual([
      expect.stringMatching(/^org: must be a DNS-1123 label/),
      "task.prompt: prompt must not be empty: describe the work for the agent",
      'task: Unrecognized key: "extra"',
    ]);
  });

  it("say where a query parameter was wrong", () => {
    const error = ScheduleRequestSchema.safeParse({}).error as Error;
    const problem = toProblem(Object.assign(error, { validationContext: "querystring" }));
    expect(problem.errors?.[0]).toBe("query parameter org: Required value");
  });

  it("answer 503 with Retry-After when the API server is unreachable or overloaded", () => {
    const unreachable = toProblem(new KubeUnreachable(new Error("connect ECONNREFUSED 127.0.0.1:6443")));
    expect(unreachable.status).toBe(503);
    expect(unreachable.headers["retry-after"]).toBe("5");
    const throttled = toProblem(
      new KubeError("GET /api/v1/pods", 429, JSON.stringify({ message: "too many requests" }), {
        "retry-after": "12",
      }),
    );
    expect(throttled.status).toBe(503);
    expect(throttled.headers["retry-after"]).toBe("12");
  });

  it("pass on the API server's own validation causes", () => {
    const problem = toProblem(
      new KubeError(
        "POST /apis/agentyard.dev/v1alpha1/namespaces/org-a/agenttasks",
        422,
        JSON.stringify({
          message: "invalid",
          details: { causes: [{ field: "spec.timeout", message: "must be at most 168h" }] },
        }),
        {},
      ),
    );
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual(["spec.timeout: must be at most 168h"]);
  });

  it("tell nothing of unexpected errors", () => {
    const problem = toProblem(new TypeError("cannot read properties of undefined (reading 'token')"));
    expect(problem.status).toBe(500);
    expect(problem.message).not.toContain("token");
  });

  it("render as RFC 9457 documents", () => {
    const body = new Problem(404, "urn:agentyard:problem:not-found", 'org "x" not found').body("/schedule");
    expect(body).toEqual({
      type: "urn:agentyard:problem:not-found",
      title: "Not Found",
      status: 404,
      detail: 'org "x" not found',
      instance: "/schedule",
    });
  });

  it("name the verb and resource a caller lacks as RBAC writes them", () => {
    expect(
      describeAttributes({
        verb: "create",
        group: "agentyard.dev",
        resource: "agenttasks",
        namespace: "org-a",
      }),
    ).toBe("create agenttasks.agentyard.dev in namespace org-a");
    expect(describeAttributes({ verb: "get", group: "agentyard.dev", resource: "orgs", name: "a" })).toBe(
      'get orgs.agentyard.dev "a"',
    );
    expect(describeAttributes({ verb: "list", group: "agentyard.dev", resource: "agenttasks" })).toBe(
      "list agenttasks.agentyard.dev in all namespaces",
    );
    expect(
      describeAttributes({
        verb: "get",
        group: "",
        resource: "pods",
        subresource: "log",
        namespace: "n",
        name: "p",
      }),
    ).toBe('get pods/log "p" in namespace n');
  });
});
