import { authHeaders, problemOf } from "./client.ts";
import { unreachable } from "./problem.ts";

export interface SseMessage {
  event: string;
  data: string;
}

/**
 * An incremental text/event-stream parser, as the HTML standard defines it: fields up to a blank
 * line make one message; `id` moves the resume position even on a message without data.
 */
export class SseParser {
  lastEventId: string | undefined;
  retryMs: number | undefined;
  private buffer = "";
  private event = "";
  private data: string[] = [];

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const messages: SseMessage[] = [];
    const lines = this.buffer.split(/\r\n|\r|\n/);
    // The last piece has no line end yet, unless the chunk ended with one (then it is "").
    this.buffer = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "") {
        if (this.data.length > 0)
          messages.push({ event: this.event || "message", data: this.data.join("\n") });
        this.event = "";
        this.data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") this.event = value;
      else if (field === "data") this.data.push(value);
      else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
      else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    return messages;
  }
}

export interface StreamOptions {
  lastEventId: string | undefined;
  signal: AbortSignal;
  onOpen(): void;
  onMessage(message: SseMessage, parser: SseParser): void;
}

/**
 * Reads one event stream until the server ends it. fetch, not EventSource: EventSource cannot send
 * the Authorization header. Resolves with the parser, whose lastEventId and retryMs tell how to
 * reconnect; rejects with an ApiProblem when the api refuses the stream or cannot be reached.
 */
export async function readEventStream(path: string, options: StreamOptions): Promise<SseParser> {
  const headers: Record<string, string> = { accept: "text/event-stream", ...authHeaders() };
  if (options.lastEventId) headers["last-event-id"] = options.lastEventId;
  const parser = new SseParser();
  parser.lastEventId = options.lastEventId;
  let res: Response;
  try {
    res = await fetch(path, { headers, signal: options.signal, cache: "no-store" });
  } catch (err) {
    if (options.signal.aborted) return parser;
    throw unreachable(err);
  }
  if (!res.ok || !res.body) throw await problemOf(res);
  options.onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const message of parser.push(value)) options.onMessage(message, parser);
    }
  } catch (err) {
    if (!options.signal.aborted) throw unreachable(err);
  } finally {
    reader.releaseLock();
  }
  return parser;
}
