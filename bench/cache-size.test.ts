import { describe, expect, it } from "vitest";
import { sizeOf } from "./cache-size.ts";

describe("sizeOf", () => {
  it("adds up the objects' JSON and the managedFields within it", () => {
    const managedFields = [{ manager: "agentyard" }];
    const withFields = { metadata: { name: "a", managedFields } };
    const without = { metadata: { name: "b" } };
    expect(sizeOf([{ items: [withFields] }, { items: [without] }])).toEqual({
      objects: 2,
      jsonBytes: JSON.stringify(withFields).length + JSON.stringify(without).length,
      managedFieldsBytes: JSON.stringify(managedFields).length,
    });
  });
});
