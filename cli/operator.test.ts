import { describe, expect, it } from "vitest";
import { operatorCommand } from "./operator.ts";

describe("agentyard operator --secret-namespaces", () => {
  const option = operatorCommand().options.find((o) => o.long === "--secret-namespaces");

  it("is read from AGENTYARD_SECRET_NAMESPACES and defaults to the operator's namespace", () => {
    expect(option?.envVar).toBe("AGENTYARD_SECRET_NAMESPACES");
    expect(option?.defaultValue).toEqual([process.env.POD_NAMESPACE ?? "agentyard-system"]);
  });

  it("takes a comma-separated list of namespaces and refuses anything else", () => {
    expect(option?.parseArg?.("capi, platform-secrets", undefined)).toEqual(["capi", "platform-secrets"]);
    expect(() => option?.parseArg?.("capi,Bad_NS", undefined)).toThrow('"Bad_NS" is not a namespace name');
  });
});
