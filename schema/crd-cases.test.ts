import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { acceptedCases, type Manifest, rejectedCases } from "../test/crd-cases.ts";
import { AgentTaskSchema } from "./agenttask.ts";
import { fieldPath } from "./issues.ts";
import { OrgSchema } from "./org.ts";

/** Zod and the API server must agree on every manifest of test/crd-cases.ts that zod can judge. */

function parse(manifest: Manifest): z.ZodSafeParseResult<unknown> {
  return manifest.kind === "Org" ? OrgSchema.safeParse(manifest) : AgentTaskSchema.safeParse(manifest);
}

describe("zod refuses what the API server refuses", () => {
  it.each(rejectedCases.filter((c) => c.before === undefined))(
    "$name",
    ({ manifest, field, message, zodMessage }) => {
      const issues = (parse(manifest).error?.issues ?? []).filter((issue) => fieldPath(issue.path) === field);
      expect(issues.map((issue) => issue.message)).toContainEqual(
        expect.stringContaining(zodMessage ?? message),
      );
    },
  );
});

describe("zod accepts what the API server accepts", () => {
  it.each(acceptedCases)("$name", ({ manifest }) => {
    expect(parse(manifest).error?.issues ?? []).toEqual([]);
  });
});
