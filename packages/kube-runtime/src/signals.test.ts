import { describe, expect, it } from "vitest";
import { onShutdown } from "./signals.ts";

describe("onShutdown", () => {
  it("runs the shutdown once on the first signal and exits 0 when it finishes", async () => {
    let runs = 0;
    const exited = Promise.withResolvers<number>();
    const off = onShutdown(
      async () => {
        runs++;
      },
      { signals: ["SIGUSR2"], exit: exited.resolve },
    );
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      expect(await exited.promise).toBe(0);
      expect(runs).toBe(1);
    } finally {
      off();
    }
  });

  it("exits 1 at once on a second signal while shutdown hangs", async () => {
    const codes: number[] = [];
    const off = onShutdown(() => new Promise(() => {}), { signals: ["SIGUSR2"], exit: (c) => codes.push(c) });
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      process.emit("SIGUSR2", "SIGUSR2");
      expect(codes).toEqual([1]);
    } finally {
      off();
    }
  });

  it("installs nothing until called, and removes its handlers when asked", () => {
    const before = process.listenerCount("SIGTERM");
    const off = onShutdown(async () => {}, { exit: () => {} });
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    off();
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });
});
