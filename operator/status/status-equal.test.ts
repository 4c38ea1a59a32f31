import { describe, expect, it } from "vitest";
import { sameStatus } from "./status-equal.ts";

describe("sameStatus", () => {
  it("counts undefined fields as absent, at any depth and in arrays", () => {
    expect(sameStatus({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameStatus({ x: [{ a: 1, b: undefined }] }, { x: [{ a: 1 }] })).toBe(true);
    expect(sameStatus(undefined, undefined)).toBe(true);
  });

  it("tells apart values, order of list items and missing statuses", () => {
    expect(sameStatus({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameStatus({ x: [1, 2] }, { x: [2, 1] })).toBe(false);
    expect(sameStatus(undefined, {})).toBe(false);
  });
});
