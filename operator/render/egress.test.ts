import { describe, expect, it } from "vitest";
import { parseCidr } from "../../schema/cidr.ts";
import { org } from "../../schema/fixtures.test-support.ts";
import { exceptions, renderEgress } from "./egress.ts";
import { egressAllows } from "./network-policy.test-support.ts";

const API_SERVER = { addresses: ["10.0.0.1", "fd00::1"], ports: [6443] };
const GIT_HOST = "203.0.113.10";
const restricted = (allow: unknown[], more: Record<string, unknown> = {}) =>
  org({ network: { egress: { allow, ...more } } });

describe("renderEgress, mode Restricted (the default)", () => {
  it("allows the cluster DNS, the API server and the listed git host, nothing else", () => {
    const rules = renderEgress(
      restricted([{ cidr: `${GIT_HOST}/32`, ports: [{ port: 443 }, { port: 22 }], description: "git" }]),
      API_SERVER,
      [],
    );
    expect(rules[0]).toEqual({
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
      ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ],
    });
    expect(egressAllows(rules, GIT_HOST, 443)).toBe(true);
    expect(egressAllows(rules, GIT_HOST, 22)).toBe(true);
    expect(egressAllows(rules, GIT_HOST, 80)).toBe(false);
    expect(egressAllows(rules, "10.0.0.1", 6443)).toBe(true);
    expect(egressAllows(rules, "fd00::1", 6443)).toBe(true);
    expect(egressAllows(rules, "10.0.0.2", 6443)).toBe(false);
    expect(egressAllows(rules, "198.51.100.1", 443)).toBe(false);
  });

  it("denies cloud metadata and the cluster's ranges inside an allowed range, even the whole internet", () => {
    const rules = renderEgress(
      restricted([{ cidr: "0.0.0.0/0", ports: [{ port: 443 }, { port: 80 }] }, { cidr: "::/0" }]),
      API_SERVER,
      [],
    );
    expect(egressAllows(rules, GIT_HOST, 443)).toBe(true);
    expect(egressAllows(rules, "2001:db8::7", 443)).toBe(true);
    for (const inside of [
      "169.254.169.254",
      "169.254.170.2",
      "100.100.100.200",
      "10.96.0.10",
      "192.168.1.1",
      "172.20.0.5",
    ]) {
      expect(egressAllows(rules, inside, 80), inside).toBe(false);
    }
    expect(egressAllows(rules, "fd00:ec2::254", 80)).toBe(false);
    expect(egressAllows(rules, "fe80::1", 443)).toBe(false);
    expect(rules[2]?.to?.[0]?.ipBlock?.except).toEqual([
      "10.0.0.0/8",
      "172.16.0.0/12",
      "192.168.0.0/16",
      "100.64.0.0/10",
      "169.254.0.0/16",
    ]);
  });

  it("keeps metadata addresses denied when the Org narrows privateCIDRs or allows a link-local range", () => {
    const rules = renderEgress(
      restricted([{ cidr: "0.0.0.0/0" }, { cidr: "169.254.0.0/16" }], { privateCIDRs: ["10.0.0.0/8"] }),
      { addresses: [], ports: [] },
      [],
    );
    expect(egressAllows(rules, "169.254.169.254", 80)).toBe(false);
    expect(egressAllows(rules, "169.254.20.10", 53, "UDP")).toBe(true);
    expect(egressAllows(rules, "192.168.1.1", 80)).toBe(true);
    expect(egressAllows(rules, "10.1.1.1", 80)).toBe(false);
  });

  it("allows an internal range the Org lists as written, e.g. a forge inside the cluster's network", () => {
    const rules = renderEgress(restricted([{ cidr: "10.20.30.40/32" }]), { addresses: [], ports: [] }, []);
    expect(rules[1]).toEqual({ to: [{ ipBlock: { cidr: "10.20.30.40/32" } }] });
    expect(egressAllows(rules, "10.20.30.40", 3000)).toBe(true);
  });

  it("writes ranges with their host bits cleared, as the API server stores them", () => {
    const rules = renderEgress(restricted([{ cidr: "203.0.113.77/24" }]), { addresses: [], ports: [] }, []);
    expect(rules[1]?.to?.[0]?.ipBlock?.cidr).toBe("203.0.113.0/24");
  });

  it("leaves the API server rule out when its endpoints are unknown", () => {
    const rules = renderEgress(restricted([]), { addresses: [], ports: [] }, []);
    expect(rules).toHaveLength(1);
  });
});

describe("renderEgress, mode Open", () => {
  it("allows any destination on the agents' ports and the sidecar's", () => {
    const rules = renderEgress(org({ network: { egress: { mode: "Open" } } }), API_SERVER, [
      { protocol: "UDP", port: 3478 },
    ]);
    expect(rules).toHaveLength(1);
    expect(rules[0]?.to).toBeUndefined();
    expect(egressAllows(rules, "198.51.100.1", 443)).toBe(true);
    expect(egressAllows(rules, "198.51.100.1", 3478, "UDP")).toBe(true);
    expect(egressAllows(rules, "198.51.100.1", 80)).toBe(false);
  });
});

describe("exceptions", () => {
  it("keeps only strict subsets, and no range another one already covers", () => {
    const denied = ["169.254.0.0/16", "169.254.169.254/32", "10.0.0.0/8", "10.0.0.0/8"].map(parseCidr);
    expect(exceptions(parseCidr("0.0.0.0/0"), denied).map((c) => `${c.address}/${c.bits}`)).toEqual([
      "169.254.0.0/16",
      "10.0.0.0/8",
    ]);
    expect(exceptions(parseCidr("10.0.0.0/8"), denied)).toEqual([]);
  });
});
