import { describe, expect, it } from "vitest";
import { sameQuantity } from "./quantity.ts";

describe("sameQuantity", () => {
  it.each([
    ["1073741824", "1Gi"],
    [1073741824, "1Gi"],
    ["0.5", "500m"],
    [0.5, "500m"],
    ["1000m", "1"],
    ["1e3", "1k"],
    ["1E3", "1k"],
    ["1.5Gi", "1536Mi"],
    ["1536Mi", "1610612736"],
    [".5", "500m"],
    ["1.", "1"],
    ["+2", "2"],
    ["2e-3", "2m"],
    ["1000000n", "1m"],
    ["1000u", "1m"],
    ["1Ei", "1152921504606846976"],
    ["1E", "1e18"],
    ["0", "0m"],
    ["-1", "-1000m"],
    ["0.1", "100m"],
  ] as const)("%j equals %j", (a, b) => {
    expect(sameQuantity(a, b)).toBe(true);
    expect(sameQuantity(b, a)).toBe(true);
  });

  it.each([
    ["1Gi", "2Gi"],
    ["1Gi", "1G"],
    ["1Ki", "1k"],
    ["500m", "0.51"],
    ["1", "-1"],
    ["1m", "1M"],
    ["1152921504606846977", "1Ei"],
    ["0.1", 0.10000000000000002],
  ] as const)("%j differs from %j", (a, b) => {
    expect(sameQuantity(a, b)).toBe(false);
  });

  it.each(["", ".", "lots", "1 Gi", "1gi", "1Gi2", "1e", "1e1.5", "e3", "1KiB", "0x10", Number.NaN])(
    "refuses %j, which is no quantity",
    (text) => {
      expect(sameQuantity(text, text)).toBe(false);
    },
  );
});
