import { describe, expect, it } from "vitest";
import { ago, elapsed } from "./format.ts";

describe("times", () => {
  const now = Date.parse("2026-11-24T12:00:00Z");

  it("says how long ago", () => {
    expect(ago("2026-11-24T11:59:30Z", now)).toBe("30 s ago");
    expect(ago("2026-11-24T11:55:00Z", now)).toBe("5 min ago");
    expect(ago("2026-11-24T09:00:00Z", now)).toBe("3 h ago");
    expect(ago("2026-11-20T12:00:00Z", now)).toBe("4 d ago");
    expect(ago(undefined, now)).toBe("");
  });

  it("says how long something took", () => {
    expect(elapsed("2026-11-24T11:59:18Z", undefined, now)).toBe("42s");
    expect(elapsed("2026-11-24T11:00:00Z", "2026-11-24T11:03:05Z")).toBe("3m 5s");
    expect(elapsed("2026-11-24T09:58:00Z", undefined, now)).toBe("2h 2m");
  });
});
