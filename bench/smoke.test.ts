import { describe, expect, it } from "vitest";
import { restartTable } from "./restart.ts";
import { smokeFailures } from "./smoke.ts";

const restart = {
  count: 20,
  state: "Running",
  syncedMs: 1000,
  leadingMs: 1100,
  reconciles: 20,
  writes: 0,
  writeKinds: {},
};

describe("smokeFailures", () => {
  it("passes at or under both limits", () => {
    expect(smokeFailures({ writesPerTask: 12.6, restart }, { writesPerTask: 13, restartWrites: 0 })).toEqual(
      [],
    );
  });

  it("names each figure over its limit, and what the restart wrote", () => {
    const failures = smokeFailures(
      {
        writesPerTask: 13.2,
        restart: { ...restart, writes: 2, writeKinds: { "patch agenttasks/status": 2 } },
      },
      { writesPerTask: 13, restartWrites: 0 },
    );
    expect(failures).toEqual([
      "operator writes per task: 13.20 > 13 (bench/smoke.ts SMOKE_LIMITS)",
      "writes after a restart: 2 > 0 (2 patch agenttasks/status)",
    ]);
  });

  it("fails a restart that did not reconcile every task", () => {
    expect(
      smokeFailures(
        { writesPerTask: 1, restart: { ...restart, reconciles: 3 } },
        { writesPerTask: 13, restartWrites: 0 },
      ),
    ).toEqual(["the restarted operator reconciled 3 of 20 tasks: its 0 writes prove nothing"]);
  });
});

describe("restartTable", () => {
  it("shows sync and leading times, the reconciles that ran and the writes", () => {
    const table = restartTable({ ...restart, writes: 1, writeKinds: { "create events": 1 } });
    expect(table.split("\n")[2]).toBe("| 20 Running | 1.00 s | 1.10 s | 20 | 1 | 1 create events |");
  });
});
