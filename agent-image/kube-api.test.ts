import { describe, expect, it } from "vitest";
import { isTransient } from "./kube-api.ts";

// Reports against a real API server (RBAC, retries through an outage) are in test/agent-state.test.ts.
describe("isTransient", () => {
  it("retries what passes by itself and gives up on what will not", () => {
    for (const status of [500, 502, 503, 504, 429, 409, 408])
      expect(isTransient(status), String(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 422]) expect(isTransient(status), String(status)).toBe(false);
    expect(isTransient(undefined, "ECONNREFUSED")).toBe(true);
    expect(isTransient(undefined, "ECONNRESET")).toBe(true);
    expect(isTransient(undefined, "DEPTH_ZERO_SELF_SIGNED_CERT")).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});
