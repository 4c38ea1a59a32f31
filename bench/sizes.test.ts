import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { parseLimit, parsePositive, parseSizes } from "./sizes.ts";

describe("flag parsing", () => {
  it("reads a comma-separated list of sizes in order", () => {
    expect(parseSizes("100")).toEqual([100]);
    expect(parseSizes("1000, 100")).toEqual([1000, 100]);
  });

  it("refuses sizes that are not positive integers, naming the bad one", () => {
    expect(() => parseSizes("100,x")).toThrow(InvalidArgumentError);
    expect(() => parseSizes("0")).toThrow('"0" is not a positive number of tasks');
    expect(() => parseSizes("1.5")).toThrow("1.5");
    expect(() => parseSizes("")).toThrow(InvalidArgumentError);
  });

  it("reads positive integers and non-negative limits", () => {
    expect(parsePositive("10")).toBe(10);
    expect(() => parsePositive("-1")).toThrow("positive integer");
    expect(parseLimit("13.5")).toBe(13.5);
    expect(parseLimit("0")).toBe(0);
    expect(() => parseLimit("many")).toThrow("at least 0");
    expect(() => parseLimit("")).toThrow("at least 0");
  });
});
