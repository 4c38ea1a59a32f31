import { describe, expect, it } from "vitest";
import { parseLastEventId } from "./sse.ts";

describe("Last-Event-ID", () => {
  it("holds the position of each watch", () => {
    expect(parseLastEventId("task=123&org=456", ["task", "org"])).toEqual({ task: "123", org: "456" });
  });

  it.each([undefined, "", "task=123", "garbage", `task=${"9".repeat(100)}&org=1`, "task=1 2&org=3"])(
    "starts afresh from %j",
    (header) => {
      expect(parseLastEventId(header, ["task", "org"])).toBeUndefined();
    },
  );
});
