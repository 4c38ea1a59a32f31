import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WorkQueue, type WorkResult } from "./queue.ts";

/** A handler whose runs the test finishes by hand. */
function gatedHandler() {
  const runs: { key: string; finish: (result?: WorkResult | Error) => void }[] = [];
  const handler = (key: string) =>
    new Promise<WorkResult>((resolve, reject) => {
      runs.push({ key, finish: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    });
  return { runs, handler };
}

describe("WorkQueue", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("queues a key added twice while it waits once", async () => {
    const { runs, handler } = gatedHandler();
    const q = new WorkQueue(handler, { name: "t-dedup", concurrency: 1 });
    q.add("busy");
    await vi.advanceTimersByTimeAsync(0);
    for (const k of ["a", "b", "b", "a"]) q.add(k);
    expect(q.depth).toBe(2);
    runs[0]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    runs[1]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    runs[2]?.finish();
    await q.shutdown();
    expect(runs.map((r) => r.key)).toEqual(["busy", "a", "b"]);
  });

  it("never runs one key twice at once, and runs it again when it was added meanwhile", async () => {
    const { runs, handler } = gatedHandler();
    const q = new WorkQueue(handler, { name: "t-serial", concurrency: 4 });
    q.add("a");
    await vi.advanceTimersByTimeAsync(0);
    q.add("a");
    q.add("a");
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.key)).toEqual(["a"]);
    runs[0]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.key)).toEqual(["a", "a"]);
    runs[1]?.finish();
    await q.shutdown();
  });

  it("runs at most `concurrency` keys at a time", async () => {
    const { runs, handler } = gatedHandler();
    const q = new WorkQueue(handler, { name: "t-bound", concurrency: 2 });
    for (const k of ["a", "b", "c", "d"]) q.add(k);
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.key)).toEqual(["a", "b"]);
    expect(q.depth).toBe(2);
    runs[0]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.key)).toEqual(["a", "b", "c"]);
    for (const r of runs.slice(1)) r.finish();
    await vi.advanceTimersByTimeAsync(0);
    runs[3]?.finish();
    await q.shutdown();
    expect(runs).toHaveLength(4);
  });

  it("retries a failing key later and later, and starts over after a success", async () => {
    const times: number[] = [];
    let failuresLeft = 3;
    const q = new WorkQueue(
      async () => {
        times.push(Date.now());
        if (failuresLeft-- > 0) throw new Error("boom");
        return undefined;
      },
      { name: "t-backoff", backoff: { baseMs: 1000, maxMs: 3000 } },
    );
    const start = Date.now();
    q.add("a");
    await vi.advanceTimersByTimeAsync(20_000);
    expect(times.map((t) => t - start)).toEqual([0, 1000, 3000, 6000]);
    failuresLeft = 1;
    q.add("a");
    await vi.advanceTimersByTimeAsync(20_000);
    const second = times.slice(4).map((t) => t - (times[4] as number));
    expect(second).toEqual([0, 1000]);
    await q.shutdown();
  });

  it("comes back after requeueAfterMs, and the earliest of several delays wins", async () => {
    const times: number[] = [];
    const q = new WorkQueue(
      async () => {
        times.push(Date.now());
        return times.length === 1 ? { requeueAfterMs: 5000 } : undefined;
      },
      { name: "t-after" },
    );
    const start = Date.now();
    q.add("a");
    await vi.advanceTimersByTimeAsync(0);
    q.addAfter("a", 8000);
    q.addAfter("a", 2000);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(times.map((t) => t - start)).toEqual([0, 2000]);
    await q.shutdown();
  });

  it("drains the runs in flight on shutdown and takes no more keys", async () => {
    const { runs, handler } = gatedHandler();
    const q = new WorkQueue(handler, { name: "t-drain", concurrency: 1 });
    q.add("a");
    q.add("b");
    await vi.advanceTimersByTimeAsync(0);
    let drained = false;
    const done = q.shutdown().then(() => {
      drained = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(drained).toBe(false);
    runs[0]?.finish();
    await done;
    q.add("c");
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.key)).toEqual(["a"]);
    expect(q.depth).toBe(0);
  });
});

describe("WorkQueue with Node's own timers", () => {
  // What is measured is how often a key runs within a stretch of real time, so the test waits that
  // stretch out: no condition to wait for would show a hot loop that is absent.
  const WINDOW_MS = 200;

  it("waits a delay beyond the longest timer instead of firing at once", async () => {
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        runs++;
        // Thirty days, as a ttlSecondsAfterFinished of 2592000 asks: Node fires such a timer after 1 ms.
        return { requeueAfterMs: 30 * 24 * 3600_000 };
      },
      { name: "t-long-delay" },
    );
    q.add("ttl");
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    await q.shutdown();
    expect(runs).toBe(1);
  });
});
