import { Readable } from "node:stream";
import { type HttpLibrary, Observable, type RequestContext, ResponseContext } from "@kubernetes/client-node";
import { type Dispatcher, request } from "undici";

/**
 * client-node's requests, sent with undici's `request` instead of `fetch`. fetch streams every body,
 * even a string, so the connection writes the request only some turns of the event loop after the
 * fence in fence.ts let it start: a process paused in between (SIGSTOP, a frozen VM) sends it once it
 * resumes, seconds after its leader term ended. A Buffer body is written in the same synchronous step
 * in which the fence looks at the term, and `request` costs less than fetch besides.
 */
export function undiciHttpLibrary(): HttpLibrary {
  return { send: (ctx) => new Observable(send(ctx)) };
}

async function send(ctx: RequestContext): Promise<ResponseContext> {
  const answer = await request(ctx.getUrl(), {
    method: ctx.getHttpMethod() as Dispatcher.HttpMethod,
    headers: ctx.getHeaders(),
    body: bodyOf(ctx),
    signal: ctx.getSignal(),
    dispatcher: ctx.getDispatcher(),
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return new ResponseContext(answer.statusCode, headers, {
    text: () => answer.body.text(),
    binary: async () => Buffer.from(await answer.body.arrayBuffer()),
    stream: () => Readable.toWeb(answer.body) as ReadableStream<Uint8Array>,
  });
}

/** The Kubernetes API takes JSON or form bodies, never multipart. */
function bodyOf(ctx: RequestContext): Buffer | undefined {
  const body = ctx.getBody();
  if (body === undefined) return undefined;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  throw new Error(`${ctx.getHttpMethod()} ${ctx.getUrl()}: a multipart body is not supported`);
}
