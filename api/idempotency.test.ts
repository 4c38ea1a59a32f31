import { describe, expect, it } from "vitest";
import { canonicalJson, IdempotencyKeySchema, idempotentTaskName, requestHash } from "./idempotency.ts";

describe("idempotency", () => {
  it("names a task after the caller and the key, as a DNS-1035 label", () => {
    const name = idempotentTaskName("alice", "order-42");
    expect(name).toMatch(/^task-[0-9a-f]{20}$/);
    expect(idempotentTaskName("alice", "order-42")).toBe(name);
    expect(idempotentTaskName("bob", "order-42")).not.toBe(name);
    expect(idempotentTaskName("alice", "order-43")).not.toBe(name);
  });

  it("does not let a caller and key run together into another pair", () => {
    expect(idempotentTaskName("ali", "ceorder")).not.toBe(idempotentTaskName("alice", "order"));
  });

  it("hashes requests regardless of key order and undefined fields", () => {
    const a = requestHash({ org: "acme", task: { prompt: "x", retries: 0 } });
    expect(requestHash({ task: { retries: 0, prompt: "x", repo: undefined }, org: "acme" })).toBe(a);
    expect(requestHash({ org: "acme", task: { prompt: "y", retries: 0 } })).not.toBe(a);
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: "é" })).toBe('{"a":"é","b":[2,{"c":null,"d":1}]}');
  });

  it.each([
    ["", "must not be empty"],
    ["has space", "must be printable ASCII"],
    ["x".repeat(256), "must be at most 255"],
  ])("refuses the key %j", (key, message) => {
    const result = IdempotencyKeySchema.safeParse(key);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(message);
  });

  it("accepts a UUID", () => {
    expect(IdempotencyKeySchema.safeParse("0b7f6c1e-3c2a-4c5e-9d7e-1f2a3b4c5d6e").success).toBe(true);
  });
});
