import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { watchEditor } from "./editor.ts";

describe("watchEditor", () => {
  it("reports each heartbeat newer than the last, and survives an editor that is not up yet", async () => {
    const beats = [undefined, 0, 500, 2_000, 2_000, 3_000];
    let served = 0;
    const server = createServer((_req, res) => {
      const beat = beats[served++];
      if (beat === undefined) res.writeHead(503).end();
      else
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ status: "alive", lastHeartbeat: beat }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const controller = new AbortController();
    const seen: number[] = [];
    try {
      await watchEditor({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        intervalMs: 10,
        since: 1_000,
        signal: controller.signal,
        onActivity: (at) => {
          seen.push(at.getTime());
          if (at.getTime() === 3_000) controller.abort();
        },
      });
    } finally {
      server.close();
    }
    expect(seen).toEqual([2_000, 3_000]);
  });
});
