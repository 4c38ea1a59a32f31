import { describe, expect, it } from "vitest";
import { machine, prependResult, renderSection } from "./report.ts";

describe("prependResult", () => {
  it("puts the newest result first, under the header, keeping older ones", () => {
    const first = prependResult(undefined, "## A\n\nold\n");
    expect(first.startsWith("# Benchmarks\n")).toBe(true);
    const second = prependResult(first, "## B\n\nnew\n");
    expect(second.indexOf("## B")).toBeLessThan(second.indexOf("## A"));
    expect(second.match(/^# Benchmarks$/gm)).toHaveLength(1);
  });

  it("keeps results written under an older header", () => {
    const old = "# Benchmarks\n\nAn older introduction.\n\n## Old result\n\n| a |\n";
    const next = prependResult(old, "## New\n");
    expect(next).not.toContain("An older introduction");
    expect(next).toContain("## Old result\n\n| a |\n");
  });
});

describe("renderSection", () => {
  it("names the command, the machine and the time, then the table and its notes", () => {
    const text = renderSection(
      { title: "Burst", command: "npm run bench -- burst", table: "| a |\n| --- |", notes: ["bound by X"] },
      new Date("2026-12-01T22:00:00Z"),
    );
    expect(text).toContain("## Burst (2026-12-01 22:00 UTC)");
    expect(text).toContain("Command: `npm run bench -- burst`");
    expect(text).toContain("- bound by X");
    expect(machine()).toMatch(/\d+ cores .*kube-apiserver v1\.\d+/);
  });
});
