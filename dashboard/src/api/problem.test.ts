import { describe, expect, it } from "vitest";
import { ApiProblem, asProblem, fieldErrors } from "./problem.ts";

describe("fieldErrors", () => {
  it("groups the api's `<path>: <message>` lines by field", () => {
    const byField = fieldErrors([
      "task.timeout: must be a Go duration between 1s and 168h, such as 30m or 1h30m",
      "task.retries: must be between 0 and 10",
      "task.retries: must be an integer",
      "something went wrong",
    ]);
    expect(byField.get("task.timeout")).toEqual([
      "must be a Go duration between 1s and 168h, such as 30m or 1h30m",
    ]);
    expect(byField.get("task.retries")).toEqual(["must be between 0 and 10", "must be an integer"]);
    expect(byField.get("<root>")).toEqual(["something went wrong"]);
  });
});

describe("asProblem", () => {
  it("keeps problems and turns network failures into status 0", () => {
    const forbidden = new ApiProblem({ status: 403, title: "Forbidden", detail: "alice may not create" });
    expect(asProblem(forbidden)).toBe(forbidden);
    expect(forbidden.forbidden).toBe(true);
    const down = asProblem(new TypeError("Failed to fetch"));
    expect(down.status).toBe(0);
    expect(down.message).toContain("Failed to fetch");
  });
});
