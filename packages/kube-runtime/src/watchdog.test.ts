import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Watchdog } from "./watchdog.ts";

describe("Watchdog", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires once after a silence of its period", () => {
    const silent = vi.fn();
    new Watchdog(1000, silent);
    vi.advanceTimersByTime(999);
    expect(silent).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    vi.advanceTimersByTime(5000);
    expect(silent).toHaveBeenCalledTimes(1);
  });

  it("is held off by every reset", () => {
    const silent = vi.fn();
    const dog = new Watchdog(1000, silent);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(900);
      dog.reset();
    }
    expect(silent).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(silent).toHaveBeenCalledTimes(1);
  });

  it("never fires once stopped", () => {
    const silent = vi.fn();
    const dog = new Watchdog(1000, silent);
    dog.stop();
    vi.advanceTimersByTime(10_000);
    expect(silent).not.toHaveBeenCalled();
  });
});
