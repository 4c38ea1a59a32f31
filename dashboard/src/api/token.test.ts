// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { takeTokenFromFragment, token } from "./token.ts";

afterEach(() => {
  sessionStorage.clear();
  window.history.replaceState(null, "", "/");
});

describe("takeTokenFromFragment", () => {
  it("moves the run's token from the link's fragment to sessionStorage and out of the address", () => {
    window.history.replaceState(null, "", "/#token=s3cr%2Bt");
    takeTokenFromFragment();
    expect(token.get()).toBe("s3cr+t");
    expect(window.location.href).not.toContain("s3cr");
    expect(window.location.hash).toBe("#/");
  });

  it("leaves a route fragment alone", () => {
    window.history.replaceState(null, "", "/#/tasks?org=acme");
    takeTokenFromFragment();
    expect(token.get()).toBeUndefined();
    expect(window.location.hash).toBe("#/tasks?org=acme");
  });
});
