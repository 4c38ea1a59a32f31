import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import type { RunningOperator } from "../operator/main.ts";
import type { EgressRule } from "../operator/render/egress.ts";
import { egressAllows } from "../operator/render/network-policy.test-support.ts";
import { orgManifest } from "../schema/fixtures.test-support.ts";
import { applyManifest, clusterWithCrds, getJson, startTestOperator } from "./support/operator.ts";

/**
 * The devcluster has no CNI, so nothing enforces a NetworkPolicy here: these tests hold the policy
 * the API server accepted and stored to what it must allow and deny.
 */

let cluster: DevCluster;
let operator: RunningOperator;
const GIT_HOST = "203.0.113.10";

interface Policy {
  spec: { egress: EgressRule[] };
}

const policyOf = (ns: string) => getJson<Policy>(cluster, ["networkpolicy", "agentyard-agents", "-n", ns]);

/** Where a real cluster's API servers publish themselves; the devcluster's serves on loopback and publishes nothing. */
const API_SERVER = { address: "192.0.2.10", port: 6443 };

beforeAll(async () => {
  cluster = await clusterWithCrds("egress");
  await applyManifest(cluster, {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: "kubernetes",
      namespace: "default",
      labels: { "kubernetes.io/service-name": "kubernetes" },
    },
    addressType: "IPv4",
    endpoints: [{ addresses: [API_SERVER.address], conditions: { ready: true } }],
    ports: [{ name: "https", port: API_SERVER.port, protocol: "TCP" }],
  });
  operator = await startTestOperator(cluster);
});

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

describe("an Org's egress policy", () => {
  it("denies a metadata address and the cluster's ranges, and allows its git host and the API server", async () => {
    await applyManifest(
      cluster,
      orgManifest("fenced", {
        network: {
          egress: {
            allow: [{ cidr: "0.0.0.0/0", ports: [{ port: 443 }, { port: 80 }], description: "git" }],
          },
        },
      }),
    );
    const policy = await waitFor("the Org's NetworkPolicy", () => policyOf("org-fenced"));
    const rules = policy.spec.egress;
    expect(egressAllows(rules, GIT_HOST, 443)).toBe(true);
    expect(egressAllows(rules, "169.254.169.254", 80)).toBe(false);
    expect(egressAllows(rules, "10.96.0.10", 443)).toBe(false);
    expect(egressAllows(rules, GIT_HOST, 8080)).toBe(false);

    expect(egressAllows(rules, API_SERVER.address, API_SERVER.port)).toBe(true);
    expect(egressAllows(rules, API_SERVER.address, 22)).toBe(false);
  });

  it("by default allows agents no destination beyond DNS and the API server", async () => {
    await applyManifest(cluster, orgManifest("closed", {}));
    const policy = await waitFor("the Org's NetworkPolicy", () => policyOf("org-closed"));
    expect(egressAllows(policy.spec.egress, GIT_HOST, 443)).toBe(false);
    expect(egressAllows(policy.spec.egress, API_SERVER.address, API_SERVER.port)).toBe(true);
    expect(policy.spec.egress[0]?.ports?.map((p) => p.port)).toEqual([53, 53]);
  });

  it("follows the Org to mode Open", async () => {
    await applyManifest(cluster, orgManifest("closed", { network: { egress: { mode: "Open" } } }));
    await waitFor("the policy to open", async () => {
      const policy = await policyOf("org-closed");
      return policy && egressAllows(policy.spec.egress, GIT_HOST, 443) ? policy : undefined;
    });
  });
});
