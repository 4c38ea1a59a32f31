import { describe, expect, it } from "vitest";
import { checkAuthMode, isLoopback, parseListen } from "./options.ts";

describe("listen addresses", () => {
  it.each([
    ["127.0.0.1:8080", { host: "127.0.0.1", port: 8080 }],
    ["[::1]:0", { host: "::1", port: 0 }],
    ["localhost:9000", { host: "localhost", port: 9000 }],
    [":8080", { host: "0.0.0.0", port: 8080 }],
  ])("parses %s", (address, expected) => {
    expect(parseListen(address)).toEqual(expected);
  });

  it.each(["8080", "host", "127.0.0.1:99999", "::1:80"])("refuses %s", (address) => {
    expect(() => parseListen(address)).toThrow(/must be host:port/);
  });

  it("knows loopback addresses", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "localhost"].map(isLoopback)).toEqual([true, true, true, true]);
    expect(["0.0.0.0", "10.0.0.1", "::", "example.com"].map(isLoopback)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it("allows --auth=none on loopback only", () => {
    expect(() => checkAuthMode("none", parseListen("127.0.0.1:8080"))).not.toThrow();
    expect(() => checkAuthMode("none", parseListen(":8080"))).toThrow(/--auth=none .* loopback address/);
    expect(() => checkAuthMode("token", parseListen(":8080"))).not.toThrow();
  });
});
