import { describe, expect, it } from "vitest";
import { readWatchLines } from "./watch-stream.ts";

/** A streamed answer whose chunks the test writes, and ends or breaks. */
function answer() {
  let sink!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      sink = controller;
    },
  });
  const encoder = new TextEncoder();
  return {
    body,
    write: (text: string) => sink.enqueue(encoder.encode(text)),
    end: () => sink.close(),
    break: () => sink.error(new Error("socket hang up")),
  };
}

function read(body: ReadableStream<Uint8Array>, inactivityTimeoutMs = 5_000) {
  const lines: string[] = [];
  const controller = new AbortController();
  const ended = new Promise<unknown>((resolve) =>
    readWatchLines(body, (line) => lines.push(line), resolve, inactivityTimeoutMs, controller),
  );
  return { lines, controller, ended };
}

describe("a watch's streamed answer", () => {
  it("delivers one line at a time, across chunks and without blank lines, then ends cleanly", async () => {
    const stream = answer();
    const { lines, ended } = read(stream.body);
    stream.write('{"type":"ADDED"}\n{"type":');
    stream.write('"MODIFIED"}\n\n');
    stream.end();
    expect(await ended).toBeNull();
    expect(lines).toEqual(['{"type":"ADDED"}', '{"type":"MODIFIED"}']);
  });

  it("ends with KubeUnreachable when the connection breaks", async () => {
    const stream = answer();
    const { ended } = read(stream.body);
    stream.break();
    expect(await ended).toMatchObject({
      name: "KubeUnreachable",
      message: expect.stringContaining("hang up"),
    });
  });

  it("ends with a TimeoutError after silence, and aborts the request", async () => {
    const stream = answer();
    const { controller, ended } = read(stream.body, 50);
    expect(await ended).toMatchObject({ name: "TimeoutError" });
    expect(controller.signal.aborted).toBe(true);
  });

  it("ends cleanly, once, when its controller aborts", async () => {
    const stream = answer();
    let calls = 0;
    const controller = new AbortController();
    const ended = new Promise<unknown>((resolve) =>
      readWatchLines(
        stream.body,
        () => {},
        (err) => {
          calls++;
          resolve(err);
        },
        5_000,
        controller,
      ),
    );
    controller.abort();
    stream.break();
    expect(await ended).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toBe(1);
  });
});
