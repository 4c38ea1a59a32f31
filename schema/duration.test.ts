import { describe, expect, it } from "vitest";
import { duration, parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  it.each([
    ["30m", 1_800_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["90s", 90_000],
    ["250ms", 250],
    ["1h0m0s", 3_600_000],
    ["500us", 0.5],
  ])("reads %s as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "1", "1d", "-1h", "h", "1h 30m", "1.h", "1µs"])("refuses %j", (text) => {
    expect(() => parseDuration(text)).toThrow(/not a Go duration/);
  });
});

describe("duration", () => {
  const timeout = duration("1s", "168h");

  it("accepts the bounds themselves", () => {
    expect(timeout.parse("1s")).toBe("1s");
    expect(timeout.parse("168h")).toBe("168h");
  });

  it.each(["999ms", "169h", "2 hours", "0s"])("refuses %j naming the range and an example", (text) => {
    expect(timeout.safeParse(text).error?.issues[0]?.message).toBe(
      "must be a Go duration between 1s and 168h, such as 30m or 1h30m",
    );
  });
});
