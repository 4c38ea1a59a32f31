import { describe, expect, it } from "vitest";
import { org } from "../../schema/fixtures.test-support.ts";
import { egressAllows } from "./network-policy.test-support.ts";
import { isSecretCopy, type OrgSecret, orgSecrets, renderOrg, renderSecretCopy } from "./org.ts";
import type { Rendered } from "./rendered.test-support.ts";

const NO_API_SERVER = { addresses: [], ports: [] };

describe("renderOrg", () => {
  const [namespace, policy] = renderOrg(org(), NO_API_SERVER) as Rendered[];

  it("enforces PodSecurity restricted on the Org's namespace", () => {
    expect(namespace?.metadata.name).toBe("org-acme");
    expect(namespace?.metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "agentyard.dev/org": "acme",
    });
  });

  it("uses spec.namespace when set", () => {
    expect(renderOrg(org({ namespace: "team-a" }), NO_API_SERVER)[0]?.metadata.name).toBe("team-a");
  });

  it("admits only the editor port and, by default, lets agents reach only DNS and the API server", () => {
    expect(policy?.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy?.spec.ingress).toEqual([{ ports: [{ protocol: "TCP", port: 8443 }] }]);
    const [, restricted] = renderOrg(org(), { addresses: ["10.0.0.1"], ports: [6443] }) as Rendered[];
    expect(egressAllows(restricted?.spec.egress, "10.0.0.1", 6443)).toBe(true);
    expect(egressAllows(restricted?.spec.egress, "203.0.113.10", 443)).toBe(false);
    expect(policy?.spec.podSelector.matchLabels).toEqual({
      "app.kubernetes.io/component": "agent",
      "app.kubernetes.io/managed-by": "agentyard",
    });
  });

  it("in mode Open, lets sidecars reach STUN, their WireGuard port and the login server's port", () => {
    const mesh = (loginServer?: string) => ({
      network: { egress: { mode: "Open" } },
      mesh: {
        provider: "tailscale",
        mode: "sidecar",
        authKeySecretRef: { name: "k" },
        tailnetDomain: "t.example.com",
        ...(loginServer ? { loginServer } : {}),
      },
    });
    const ports = (o: ReturnType<typeof org>) =>
      (renderOrg(o, NO_API_SERVER)[1] as Rendered).spec.egress[0].ports.map(
        (p: { protocol: string; port: number }) => `${p.protocol}/${p.port}`,
      );
    expect(ports(org(mesh("http://headscale.example.com:8080")))).toEqual([
      "UDP/53",
      "TCP/53",
      "TCP/443",
      "TCP/22",
      "TCP/9418",
      "TCP/6443",
      "UDP/3478",
      "UDP/41641",
      "TCP/8080",
    ]);
    expect(ports(org(mesh()))).toEqual(ports(org(mesh("https://headscale.example.com"))));
    expect(ports(org(mesh())).slice(-2)).toEqual(["UDP/3478", "UDP/41641"]);
  });
});

describe("renderSecretCopy", () => {
  it("copies the Secret's type and data into the Org's namespace", () => {
    const o = org({ git: { credentialsSecretRef: { name: "acme-git" } } });
    const [git] = orgSecrets(o);
    const copy = renderSecretCopy(o, git as OrgSecret, {
      type: "kubernetes.io/basic-auth",
      data: { password: "cA==" },
    });
    expect(copy).toMatchObject({
      kind: "Secret",
      metadata: {
        name: "acme-git",
        namespace: "org-acme",
        labels: { "app.kubernetes.io/component": "git-credentials" },
      },
      type: "kubernetes.io/basic-auth",
      data: { password: "cA==" },
    });
    expect(isSecretCopy(copy, o)).toBe(true);
  });
  it("names the git and the agent credentials, each with its field and component", () => {
    const o = org({
      git: { credentialsSecretRef: { name: "acme-git", namespace: "secrets" } },
      agent: { preset: "claude-code", credentialsSecretRef: { name: "acme-keys" } },
    });
    expect(orgSecrets(o)).toEqual([
      {
        field: "spec.git.credentialsSecretRef",
        ref: { name: "acme-git", namespace: "secrets" },
        component: "git-credentials",
      },
      {
        field: "spec.agent.credentialsSecretRef",
        ref: { name: "acme-keys" },
        component: "agent-credentials",
      },
    ]);
    const tailnet = org({
      mesh: {
        provider: "tailscale",
        mode: "sidecar",
        authKeySecretRef: { name: "k" },
        tailnetDomain: "t.example",
      },
    });
    expect(orgSecrets(tailnet)).toEqual([
      { field: "spec.mesh.authKeySecretRef", ref: { name: "k" }, component: "tailnet-key" },
    ]);
  });
  it("is nothing when the Org names no Secret", () => {
    expect(orgSecrets(org())).toEqual([]);
  });
  it("does not take a Secret of another Org, or one agentyard did not make, for a copy", () => {
    const o = org({ git: { credentialsSecretRef: { name: "acme-git" } } });
    const copy = renderSecretCopy(o, orgSecrets(o)[0] as OrgSecret, {});
    const labels = copy.metadata.labels as Record<string, string>;
    expect(
      isSecretCopy(
        { ...copy, metadata: { ...copy.metadata, labels: { ...labels, "agentyard.dev/org": "other" } } },
        o,
      ),
    ).toBe(false);
    expect(isSecretCopy({ ...copy, metadata: { ...copy.metadata, labels: {} } }, o)).toBe(false);
  });
});
