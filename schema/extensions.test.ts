import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  celRulesOf,
  celString,
  defaultedObject,
  listMapBy,
  withRules,
  withTransitionRules,
} from "./extensions.ts";

describe("withRules", () => {
  const even = withRules(
    z.int(),
    { rule: "self % 2 == 0", message: "must be even", check: (n) => n % 2 === 0 },
    { rule: "self < 10", message: "must be below 10", check: (n) => n < 10 },
  );

  it("checks every rule in zod", () => {
    expect(even.safeParse(11).error?.issues.map((issue) => issue.message)).toEqual([
      "must be even",
      "must be below 10",
    ]);
  });

  it("keeps the CEL rules, after those the schema already had", () => {
    const more = withTransitionRules(even, { rule: "self >= oldSelf", message: "must not decrease" });
    expect(celRulesOf(more).map((rule) => rule.rule)).toEqual([
      "self % 2 == 0",
      "self < 10",
      "self >= oldSelf",
    ]);
  });

  it("reports a rule with a fieldPath at that field", () => {
    const pair = withRules(z.object({ a: z.int(), b: z.int() }), {
      rule: "self.a <= self.b",
      message: "a must not exceed b",
      fieldPath: ".a",
      check: ({ a, b }) => a <= b,
    });
    expect(pair.safeParse({ a: 2, b: 1 }).error?.issues[0]?.path).toEqual(["a"]);
  });
});

describe("listMapBy", () => {
  it("marks the list for the API server and refuses duplicate keys", () => {
    const list = listMapBy(z.array(z.object({ name: z.string() })), "name");
    expect(list.meta()).toMatchObject({
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
    });
    expect(list.safeParse([{ name: "a" }, { name: "a" }]).error?.issues[0]?.path).toEqual([1]);
  });
});

describe("defaultedObject", () => {
  it("spells out the nested defaults in the JSON Schema", () => {
    const schema = defaultedObject(z.object({ a: z.int().default(1), b: z.string().optional() }));
    expect(z.toJSONSchema(schema, { io: "input" })).toMatchObject({ default: { a: 1 } });
  });
});

describe("celString", () => {
  it("escapes backslashes and quotes", () => {
    expect(celString("it's \\S")).toBe("'it\\'s \\\\S'");
  });
});
