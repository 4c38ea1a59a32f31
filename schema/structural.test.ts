import { describe, expect, it } from "vitest";
import { toStructural } from "./structural.ts";

describe("toStructural", () => {
  it("drops what structural schemas forbid and keeps what they allow", () => {
    expect(
      toStructural({
        $schema: "http://json-schema.org/draft-04/schema#",
        type: "object",
        properties: {
          kind: { type: "string", const: "Org" },
          count: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 1 },
          at: { type: "string", format: "date-time", pattern: "^\\d{4}-" },
          note: { type: "string", nullable: true },
        },
        required: ["kind", "at"],
        additionalProperties: false,
      }),
    ).toEqual({
      type: "object",
      properties: {
        kind: { type: "string", enum: ["Org"] },
        count: { type: "integer", minimum: 0, default: 1 },
        at: { type: "string", format: "date-time" },
        note: { type: "string", nullable: true },
      },
      required: ["at", "kind"],
    });
  });

  it("keeps maps, whose values are described by additionalProperties", () => {
    expect(toStructural({ type: "object", additionalProperties: { type: "string" } })).toEqual({
      type: "object",
      additionalProperties: { type: "string" },
    });
  });

  it("writes int-or-string in the one form structural schemas accept", () => {
    expect(
      toStructural({
        "x-kubernetes-int-or-string": true,
        anyOf: [
          { type: "integer", minimum: Number.MIN_SAFE_INTEGER },
          { type: "string", maxLength: 64 },
        ],
        description: "CPU",
      }),
    ).toEqual({
      "x-kubernetes-int-or-string": true,
      anyOf: [{ type: "integer" }, { type: "string" }],
      maxLength: 64,
      description: "CPU",
    });
  });

  it.each([
    [
      { type: "object", properties: { a: { description: "untyped" } } },
      "<root>.a: every node of a structural schema needs a type",
    ],
    [
      { anyOf: [{ type: "string" }, { type: "boolean" }] },
      '<root>: the CRD generator does not support the JSON Schema keyword "anyOf"',
    ],
    [
      { type: "array", items: { type: ["string", "null"] } },
      "<root>[*]: a structural schema needs exactly one type",
    ],
    [{ type: "string", format: "email" }, '<root>: format "email" is not one the API server validates'],
    [{ type: "string", examples: ["x"] }, 'the JSON Schema keyword "examples"'],
  ])("refuses %j", (schema, message) => {
    expect(() => toStructural(schema)).toThrow(message);
  });
});
