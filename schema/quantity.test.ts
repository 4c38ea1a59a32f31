import { describe, expect, it } from "vitest";
import { quantity, quantityValue } from "./quantity.ts";

describe("quantityValue", () => {
  it.each([
    ["500m", 0.5],
    ["2", 2],
    [3, 3],
    ["1Gi", 2 ** 30],
    ["1.5Ki", 1536],
    ["1k", 1000],
    ["1e3", 1000],
    [".5", 0.5],
  ] as const)("reads %j as %d", (text, value) => {
    expect(quantityValue(text)).toBe(value);
  });

  it("refuses what is not a quantity", () => {
    expect(() => quantityValue("lots")).toThrow(/not a quantity/);
  });
});

describe("quantity", () => {
  it.each(["500m", "1Gi", 2, 0, "1e3"])("accepts %j", (value) => {
    expect(quantity().parse(value)).toBe(value);
  });

  it.each(["lots", -1, 0.5, "-1", "1 Gi", true])("refuses %j naming examples", (value) => {
    expect(quantity().safeParse(value).error?.issues[0]?.message).toBe(
      "must be a Kubernetes quantity such as 500m, 2 or 1Gi",
    );
  });
});
