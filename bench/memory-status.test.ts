import { describe, expect, it } from "vitest";
import { parseProcStatus, residentMemory } from "./memory-status.ts";

describe("parseProcStatus", () => {
  it("reads VmRSS and VmHWM in KiB", () => {
    const text =
      "Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  460800 kB\nVmRSS:\t  185344 kB\nThreads:\t11\n";
    expect(parseProcStatus(text)).toEqual({ rssKiB: 185_344, hwmKiB: 460_800 });
  });

  it("names a missing field", () => {
    expect(() => parseProcStatus("Name:\tzombie\n")).toThrow("no VmRSS");
  });

  it("reads this process's own status", async () => {
    const own = await residentMemory(process.pid);
    expect(own.hwmKiB).toBeGreaterThanOrEqual(own.rssKiB);
  });
});
