import { describe, expect, it } from "vitest";
import { memoryTable } from "./memory.ts";

describe("memoryTable", () => {
  it("shows RSS, heap, time to converge and what the informers cache, per size", () => {
    const table = memoryTable([
      {
        tasks: 0,
        memory: { rssKiB: 204_800, hwmKiB: 209_920 },
        heap: { usedBytes: 50 * 1024 ** 2, totalBytes: 80 * 1024 ** 2, externalBytes: 1024 ** 2 },
        cache: { objects: 10, jsonBytes: 1024 ** 2, managedFieldsBytes: 0.5 * 1024 ** 2 },
      },
      {
        tasks: 1000,
        memory: { rssKiB: 716_800, hwmKiB: 716_800 },
        heap: { usedBytes: 400 * 1024 ** 2, totalBytes: 450 * 1024 ** 2, externalBytes: 20 * 1024 ** 2 },
        convergedMs: 233_000,
        cache: { objects: 8010, jsonBytes: 17.5 * 1024 ** 2, managedFieldsBytes: 7.25 * 1024 ** 2 },
      },
    ]).split("\n");
    expect(lines(table)).toEqual([
      "| 0 | 200 MiB | 205 MiB | 50.0 MiB / 80.0 MiB | 1.0 MiB | – | 10 | 1.0 MiB (0.5 MiB) |",
      "| 1000 | 700 MiB | 700 MiB | 400.0 MiB / 450.0 MiB | 20.0 MiB | 233.00 s | 8010 | 17.5 MiB (7.3 MiB) |",
    ]);
  });
});

const lines = (table: string[]) => table.slice(2);
