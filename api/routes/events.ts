import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { EventsQuerySchema } from "../../schema/rest.ts";
import type { Actor } from "../actor.ts";
import { BEARER, COMMON_PROBLEMS, problemResponses } from "../openapi.ts";
import { Problem, ProblemType, problemInstance } from "../problem.ts";
import { streamSources } from "../services/events.ts";
import { EventStream, parseLastEventId } from "../sse.ts";

export interface EventsOptions {
  /** Comment lines this often keep proxies and browsers from closing an idle stream. */
  heartbeatMs: number;
  /** How often a stream checks its caller's token again. */
  recheckMs: number;
  /** Streams open at once, in all and per caller: each holds watches on the API server. */
  maxStreams: number;
  maxStreamsPerCaller: number;
}

/** One caller across requests: a uid tells apart a user deleted and made again under the same name. */
function callerKey(actor: Actor): string {
  return JSON.stringify([actor.name, actor.caller?.uid ?? ""]);
}

export const eventRoutes: FastifyPluginAsyncZod<EventsOptions> = async (app, options) => {
  const { heartbeatMs, recheckMs, maxStreams, maxStreamsPerCaller } = options;
  const open = new Set<EventStream>();
  const perCaller = new Map<string, number>();
  // Open streams would keep the server from closing; they end, and clients reconnect elsewhere.
  app.addHook("preClose", async () => {
    for (const stream of open) stream.end();
  });

  app.get(
    "",
    {
      schema: {
        operationId: "events",
        tags: ["events"],
        summary: "Live changes of tasks and Orgs (Server-Sent Events)",
        description: [
          "A text/event-stream fed by Kubernetes watches made as the caller (who needs `watch` on agenttasks and orgs; with `org`, `get` and `watch` on that Org and `watch` on agenttasks in its namespace).",
          "Events: `task` and `org` with data `{type: ADDED|MODIFIED|DELETED, object}`; `synced` `{kind}` once a kind's current objects were all sent; `reset` `{kind}` when a kind starts over (drop what you hold of it); `error` (a problem) before the stream ends.",
          "Events carry ids: reconnect with Last-Event-ID (browsers do) to resume without missing a change. Comment lines are heartbeats.",
        ].join("\n\n"),
        security: BEARER,
        querystring: EventsQuerySchema,
        headers: z.looseObject({
          "last-event-id": z
            .string()
            .max(1024)
            .optional()
            .describe("The id of the last event received, to resume."),
        }),
        response: {
          200: {
            description: "The event stream.",
            content: { "text/event-stream": { schema: z.string() } },
          },
          ...problemResponses(...COMMON_PROBLEMS, 404),
        },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const key = callerKey(actor);
      if (open.size >= maxStreams) {
        throw new Problem(
          503,
          ProblemType.unavailable,
          `this api serves ${maxStreams} event streams at once already; retry shortly`,
          { headers: { "retry-after": "5" } },
        );
      }
      if ((perCaller.get(key) ?? 0) >= maxStreamsPerCaller) {
        throw new Problem(
          429,
          ProblemType.rateLimited,
          `${actor.name} has ${maxStreamsPerCaller} event streams open already; close one (one stream without ?org= carries every Org)`,
          { headers: { "retry-after": "5" } },
        );
      }
      const sources = await streamSources(actor, request.query.org);

      reply.hijack();
      const headers = Object.entries(reply.getHeaders()).filter(([, value]) => value !== undefined);
      reply.raw.writeHead(200, {
        ...(Object.fromEntries(headers) as Record<string, string | string[] | number>),
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        // Proxies such as nginx would otherwise hold events back in their buffers.
        "x-accel-buffering": "no",
      });
      const stream = new EventStream(
        reply.raw,
        actor,
        {
          sources,
          resume: parseLastEventId(request.headers["last-event-id"], ["task", "org"]),
          heartbeatMs,
          recheckMs,
          path: problemInstance(request),
          log: request.log,
        },
        () => {
          open.delete(stream);
          const left = (perCaller.get(key) ?? 1) - 1;
          if (left > 0) perCaller.set(key, left);
          else perCaller.delete(key);
        },
      );
      open.add(stream);
      perCaller.set(key, (perCaller.get(key) ?? 0) + 1);
      stream.start();
    },
  );
};
