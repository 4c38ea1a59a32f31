import { describe, expect, it } from "vitest";
import { extraHeaderName } from "./impersonation.ts";

describe("extraHeaderName", () => {
  it("percent-encodes what a header name may not hold, as the API server decodes it", () => {
    expect(extraHeaderName("authentication.kubernetes.io/credential-id")).toBe(
      "impersonate-extra-authentication.kubernetes.io%2Fcredential-id",
    );
    expect(extraHeaderName("scopes")).toBe("impersonate-extra-scopes");
    expect(extraHeaderName("a b/é")).toBe("impersonate-extra-a%20b%2F%C3%A9");
  });
});
