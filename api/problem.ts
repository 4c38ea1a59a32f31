import { STATUS_CODES } from "node:http";
import { KubeError, KubeUnreachable } from "@agentyard/kube-runtime";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { z } from "zod";
import { formatIssues } from "../schema/index.ts";
import type { ProblemBody } from "../schema/rest.ts";

/** RFC 9457 problem documents: every error this API answers is one of these. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** The kinds of problem, each a URN documented in docs/api.md. */
export const ProblemType = {
  invalid: "urn:agentyard:problem:invalid-request",
  unauthenticated: "urn:agentyard:problem:unauthenticated",
  forbidden: "urn:agentyard:problem:forbidden",
  notFound: "urn:agentyard:problem:not-found",
  conflict: "urn:agentyard:problem:conflict",
  expired: "urn:agentyard:problem:continue-expired",
  idempotencyMismatch: "urn:agentyard:problem:idempotency-key-reused",
  tooLarge: "urn:agentyard:problem:body-too-large",
  unsupportedMediaType: "urn:agentyard:problem:unsupported-media-type",
  rateLimited: "urn:agentyard:problem:rate-limited",
  unavailable: "urn:agentyard:problem:kubernetes-unavailable",
  logUnavailable: "urn:agentyard:problem:log-unavailable",
  internal: "urn:agentyard:problem:internal",
} as const;

const RETRY_AFTER_SECONDS = 5;

export class Problem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly errors: string[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    type: string,
    detail: string,
    extra: { title?: string; errors?: string[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = "Problem";
    this.status = status;
    this.type = type;
    this.title = extra.title ?? STATUS_CODES[status] ?? "Error";
    this.errors = extra.errors;
    this.headers = extra.headers ?? {};
  }

  body(instance: string): ProblemBody {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      instance,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export function invalid(errors: string[], what = "the request"): Problem {
  return new Problem(400, ProblemType.invalid, `${what} is invalid: ${errors.join("; ")}`, { errors });
}

export function notFound(detail: string): Problem {
  return new Problem(404, ProblemType.notFound, detail);
}

export function unavailable(detail: string, retryAfter = RETRY_AFTER_SECONDS): Problem {
  return new Problem(503, ProblemType.unavailable, detail, {
    headers: { "retry-after": String(retryAfter) },
  });
}

const WHERE: Record<string, string> = {
  body: "",
  querystring: "query parameter ",
  params: "path parameter ",
};

/** Any error thrown while answering, as the problem to answer with. Unknown errors say nothing of their insides. */
export function toProblem(err: unknown): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof z.ZodError) {
    const prefix = WHERE[(err as { validationContext?: string }).validationContext ?? "body"] ?? "";
    return invalid(formatIssues(err).map((line) => `${prefix}${line}`));
  }
  if (err instanceof KubeUnreachable) return unavailable(err.message);
  if (err instanceof KubeError) return fromKube(err);
  const fastify = err as Partial<FastifyError>;
  switch (fastify.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new Problem(413, ProblemType.tooLarge, "the request body is larger than this server accepts");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new Problem(415, ProblemType.unsupportedMediaType, "send the body as application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return invalid([`<root>: ${fastify.message}`], "the body");
  }
  if (fastify.statusCode === 400 && fastify.message)
    return invalid([`<root>: ${fastify.message}`], "the body");
  if (fastify.statusCode === 429) {
    return new Problem(429, ProblemType.rateLimited, fastify.message ?? "too many requests; slow down");
  }
  return new Problem(500, ProblemType.internal, "the api failed to answer; the error is in its log");
}

/** The API server's own answer, passed on in our terms; its message names the resource and the fix. */
function fromKube(err: KubeError): Problem {
  const { message } = err.status;
  switch (err.code) {
    case 401:
      return unavailable("the api's own credentials were refused by the Kubernetes API server");
    case 403:
      return new Problem(403, ProblemType.forbidden, message);
    case 404:
      return notFound(message);
    case 409:
      return new Problem(409, ProblemType.conflict, message);
    case 410:
      return new Problem(410, ProblemType.expired, `${message}; list again without continue`);
    case 400:
    case 422: {
      const causes = err.status.details?.causes ?? [];
      const errors = causes.map((c) => `${c.field ?? "<root>"}: ${c.message ?? c.reason ?? "invalid"}`);
      return invalid(errors.length > 0 ? errors : [`<root>: ${message}`]);
    }
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return unavailable(`the Kubernetes API server is unavailable: ${message}`, err.retryAfter);
    default:
      return new Problem(502, ProblemType.internal, `the Kubernetes API server answered ${err.code}`);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** The `instance` of a problem: the request's path, without its query. */
export function problemInstance(request: FastifyRequest): string {
  return request.url.split("?")[0] ?? request.url;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    .headers(problem.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problem.body(problemInstance(request)));
}

/**
 * Every error and every unknown route answers problem+json. The cause of a 5xx goes to the log as its
 * message only: stack traces and request bodies stay out of both the answer and the log.
 */
export const problemPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    if (problem.status >= 500)
      request.log.error({ error: describe(err), status: problem.status }, "request failed");
    else request.log.debug({ status: problem.status, detail: problem.message }, "request refused");
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, notFound(`no route ${request.method} ${request.url.split("?")[0]}`)),
  );
});
