import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, fetch } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { Deadline, DeadlineExceeded, monotonicNow } from "./deadline.ts";
import { fenced } from "./fence.ts";

/** Holds the event loop, as a paused process does. */
function blockFor(ms: number): void {
  const until = monotonicNow() + ms;
  while (monotonicNow() < until) {
    // busy: nothing else may run
  }
}

describe("fenced", () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function server(): Promise<{ url: string; received: string[] }> {
    const received: string[] = [];
    const s = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.end("{}");
    });
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    closers.push(() => s.close());
    return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, received };
  }

  it("writes nothing once the signal's deadline has passed, though its timer has not fired", async () => {
    const { url, received } = await server();
    const agent = new Agent();
    closers.push(() => agent.close());
    const deadline = new Deadline(monotonicNow() + 20, "the renew deadline passed");
    // fetch is not given the signal: only the dispatcher stands between the request and the wire.
    const sent = fetch(`${url}/write`, {
      method: "PUT",
      body: "{}",
      dispatcher: fenced(agent, deadline.signal),
    });
    // Paused past the deadline before the connection opened: no timer has run meanwhile.
    blockFor(60);
    await expect(sent).rejects.toMatchObject({ cause: expect.any(DeadlineExceeded) });
    expect(received).toEqual([]);
  });

  it("lets requests through while the signal holds", async () => {
    const { url, received } = await server();
    const agent = new Agent();
    closers.push(() => agent.close());
    const deadline = new Deadline(monotonicNow() + 60_000, "passed");
    const answer = await fetch(`${url}/write`, {
      method: "PUT",
      body: "{}",
      dispatcher: fenced(agent, deadline.signal),
    });
    expect(answer.status).toBe(200);
    await answer.text();
    expect(received).toEqual(["PUT /write"]);
  });
});
