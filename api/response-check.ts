import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { ZodType } from "zod";
import { formatIssues } from "../schema/index.ts";

/** A route's `schema.response` entry: a zod schema, or one per content type as problemResponses writes them. */
type ResponseEntry = ZodType | { content?: Record<string, { schema?: ZodType }> };

/** The answer to the api's own failure: never declared, and the one this check itself gives. */
const INTERNAL_ERROR = 500;

function isZod(entry: unknown): entry is ZodType {
  return typeof (entry as ZodType | undefined)?.safeParse === "function";
}

function mediaType(reply: FastifyReply): string {
  const [type = ""] = String(reply.getHeader("content-type") ?? "").split(";");
  return type.trim().toLowerCase();
}

/** Why an answer does not match what its route declares; undefined when it does. */
function responseMismatch(
  declared: Record<string, ResponseEntry>,
  status: number,
  type: string,
  payload: unknown,
): string | undefined {
  const entry = declared[String(status)];
  if (!entry) return `its route declares no answer ${status}`;
  const schema = isZod(entry) ? entry : entry.content?.[type]?.schema;
  if (!schema) return `its route declares no ${type} answer ${status}`;
  let body = payload;
  if (typeof payload === "string" && (type === "application/json" || type.endsWith("+json"))) {
    try {
      body = JSON.parse(payload);
    } catch {
      return "its body is not JSON";
    }
  }
  const result = schema.safeParse(body);
  return result.success ? undefined : formatIssues(result.error).join("; ");
}

/**
 * Fails every answer that its route's response schema does not allow, with 500 and the mismatch in
 * the log: a status the route does not declare, or a body (problems included) that its schema
 * refuses. The test suites run the api with it, so an answer that drifts from the OpenAPI document
 * fails a test; in production the API server's objects are passed on unchecked.
 */
export const responseCheckPlugin = fp(async (app: FastifyInstance) => {
  app.addHook("onSend", async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const declared = request.routeOptions.schema?.response as Record<string, ResponseEntry> | undefined;
    // HEAD answers carry no body; routes without response schemas (docs, dashboard files) promise nothing.
    if (!declared || request.method === "HEAD" || reply.statusCode === INTERNAL_ERROR) return payload;
    const mismatch = responseMismatch(declared, reply.statusCode, mediaType(reply), payload);
    if (mismatch) {
      throw new Error(
        `${request.method} ${request.routeOptions.url} answered ${reply.statusCode} against its schema: ${mismatch}`,
      );
    }
    return payload;
  });
});
