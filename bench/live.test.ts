import { describe, expect, it } from "vitest";
import { type LiveResult, liveTable, markOf } from "./live.ts";

describe("the live benchmark", () => {
  it("reads the write number from a status message it wrote, and nothing else", () => {
    expect(markOf({ status: { message: "bench-12" } } as never)).toBe(12);
    expect(markOf({ status: { message: "agent started" } } as never)).toBeUndefined();
    expect(markOf(undefined)).toBeUndefined();
  });

  it("puts the SSE clients beside the API server's watch", () => {
    const l = (p: number) => ({ p50: p, p95: p, p99: p, max: p });
    const memory = { rssKiB: 1024, hwmKiB: 1024 };
    const result: LiveResult = {
      clients: 100,
      writes: 5,
      sse: l(20),
      watch: l(5),
      api: { idle: memory, streaming: memory, after: memory },
    };
    expect(liveTable(result).split("\n").slice(2)).toEqual([
      "| each of 100 SSE clients of the api | 20 ms | 20 ms | 20 ms | 20 ms |",
      "| a watch on the API server (baseline) | 5.0 ms | 5.0 ms | 5.0 ms | 5.0 ms |",
    ]);
  });
});
