import { describe, expect, it } from "vitest";
import { lastLines } from "./logs.ts";

describe("lastLines", () => {
  it("keeps the last lines and the trailing newline", () => {
    expect(lastLines("a\nb\nc\n", 2)).toBe("b\nc\n");
    expect(lastLines("a\nb\nc", 2)).toBe("b\nc");
    expect(lastLines("a\n", 5)).toBe("a\n");
  });
});
