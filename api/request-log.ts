import { type FastifyReply, type FastifyRequest, LogController } from "fastify";
import { PREFIXES } from "./prefixes.ts";

const API_PREFIXES = Object.values(PREFIXES);

/**
 * Probes, scrapes and the dashboard's files: a kubelet asks every few seconds and a page load
 * fetches a dozen files, so at info they would bury the requests people act on. Everything under an
 * API prefix, and every write, stays at info.
 */
export function isQuietRequest(request: { method?: string; url?: string }): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  const path = (request.url ?? "").split("?")[0] ?? "";
  return !API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** fastify's request log lines, at debug for the quiet requests; errors keep their level. */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (isQuietRequest(request)) request.log.debug({ req: request }, "incoming request");
    else super.incomingRequest(request, reply);
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (!error && isQuietRequest(request)) {
      reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, "request completed");
    } else {
      super.requestCompleted(error, request, reply);
    }
  }
}
