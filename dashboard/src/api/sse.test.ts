import { describe, expect, it } from "vitest";
import { SseParser } from "./sse.ts";

describe("SseParser", () => {
  it("parses events split across chunks, with ids, retry and comments", () => {
    const parser = new SseParser();
    expect(parser.push("retry: 2000\n\n: heartbeat\n\nid: task=5&org=3\nevent: task\nda")).toEqual([]);
    expect(parser.push('ta: {"type":"ADDED"}\n\n')).toEqual([{ event: "task", data: '{"type":"ADDED"}' }]);
    expect(parser.retryMs).toBe(2000);
    expect(parser.lastEventId).toBe("task=5&org=3");
  });

  it("moves the resume position on an id without data, and joins data lines", () => {
    const parser = new SseParser();
    expect(parser.push("id: task=9&org=3\n\n")).toEqual([]);
    expect(parser.lastEventId).toBe("task=9&org=3");
    expect(parser.push("data: a\r\ndata: b\r\n\r\n")).toEqual([{ event: "message", data: "a\nb" }]);
  });
});
