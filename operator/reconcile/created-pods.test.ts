import { describe, expect, it } from "vitest";
import { CreatedPods } from "./created-pods.ts";

describe("CreatedPods", () => {
  it("awaits a created pod until the cache holds it, then forgets it", () => {
    let now = 0;
    const created = new CreatedPods(() => now);
    expect(created.awaited("a", false)).toBe(false);
    created.created("a");
    expect(created.awaited("a", false)).toBe(true);
    expect(created.awaited("a", true)).toBe(false);
    now = 1;
    expect(created.awaited("a", false)).toBe(false);
  });

  it("believes the cache again after 30 s: a pod deleted before the cache saw it is made again", () => {
    let now = 0;
    const created = new CreatedPods(() => now);
    created.created("a");
    now = 29_999;
    expect(created.awaited("a", false)).toBe(true);
    now = 30_000;
    expect(created.awaited("a", false)).toBe(false);
  });
});
