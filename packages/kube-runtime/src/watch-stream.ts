import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { KubeUnreachable } from "./errors.ts";

/**
 * Reads a watch's streamed answer line by line (one event a line) until the stream ends
 * (`done(null)`), breaks (`done` with KubeUnreachable), brings no line for `inactivityTimeoutMs`
 * (`done` with a TimeoutError) or `controller` aborts it (`done(null)`). `done` is called once, and
 * aborts `controller`, the request's signal.
 */
export function readWatchLines(
  body: ReadableStream<Uint8Array> | null,
  onLine: (line: string) => void,
  done: (err: unknown) => void,
  inactivityTimeoutMs: number,
  controller: AbortController,
): void {
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const finish = (err: unknown) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    controller.abort();
    done(err);
  };
  const awaitNext = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => finish(new DOMException(`no watch event for ${inactivityTimeoutMs} ms`, "TimeoutError")),
      inactivityTimeoutMs,
    );
    timer.unref();
  };
  controller.signal.addEventListener("abort", () => finish(null), { once: true });
  if (!body) {
    finish(null);
    return;
  }
  awaitNext();
  const lines = createInterface({
    input: Readable.fromWeb(body as NodeReadableStream),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  void (async () => {
    for await (const line of lines) {
      awaitNext();
      if (line && !finished) onLine(line);
    }
  })().then(
    () => finish(null),
    (err: unknown) => finish(controller.signal.aborted ? null : new KubeUnreachable(err)),
  );
}
