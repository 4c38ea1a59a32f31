import { describe, expect, it } from "vitest";
import { taskKey } from "./task-key.ts";

describe("taskKey", () => {
  it("is the namespace and the name, as the work queue and the informer caches key a task", () => {
    expect(taskKey({ metadata: { namespace: "org-acme", name: "fix-bug" } })).toBe("org-acme/fix-bug");
  });
});
