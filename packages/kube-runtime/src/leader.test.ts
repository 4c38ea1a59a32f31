import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { clientFromKubeConfig } from "./client.ts";
import { LeaderElector } from "./leader.ts";

/** A client that is never used: options are checked before any request. */
function unusedClient() {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return clientFromKubeConfig(kc, "unused");
}

const elector = (timings: { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number }) =>
  new LeaderElector(unusedClient(), { namespace: "ns", name: "lease", identity: "me", ...timings });

describe("LeaderElector options", () => {
  it("takes client-go's defaults, 15 s, 10 s and 2 s", () => {
    expect(() => elector({})).not.toThrow();
  });

  it("refuses a renew deadline that is not shorter than the lease duration", () => {
    expect(() => elector({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      "renewDeadlineMs (10000) must be shorter than leaseDurationMs (10000)",
    );
  });

  it("refuses a retry period that, jittered, leaves no second try within the renew deadline", () => {
    // 2 s is fine for 10 s; 9 s × 1.2 is not.
    expect(() => elector({ retryPeriodMs: 9000 })).toThrow(
      "retryPeriodMs × 1.2 (10800) must be shorter than renewDeadlineMs (10000)",
    );
  });

  it("refuses durations that are not positive, naming the option", () => {
    expect(() => elector({ retryPeriodMs: 0 })).toThrow("retryPeriodMs must be a positive number");
    expect(() => elector({ leaseDurationMs: Number.NaN })).toThrow(
      "leaseDurationMs must be a positive number",
    );
  });
});
