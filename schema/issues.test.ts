import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldPath, formatIssues } from "./issues.ts";

describe("fieldPath", () => {
  it("writes paths as the API server does", () => {
    expect(fieldPath(["spec", "agent", "env", 0, "name"])).toBe("spec.agent.env[0].name");
    expect(fieldPath([0])).toBe("[0]");
  });
});

describe("formatIssues", () => {
  it("puts the path before each message, <root> for the whole value", () => {
    const error = z.object({ a: z.string() }).safeParse(3).error as z.ZodError;
    expect(formatIssues(error)).toEqual(["<root>: Invalid input: expected object, received number"]);
  });
});
