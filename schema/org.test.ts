import { describe, expect, it } from "vitest";
import { formatIssues } from "./issues.ts";
import { PRIVATE_CIDRS } from "./network.ts";
import { type OrgInput, OrgSchema, OrgSpecSchema, orgNamespace } from "./org.ts";

const minimal: OrgInput = {
  apiVersion: "agentyard.dev/v1alpha1",
  kind: "Org",
  metadata: { name: "acme" },
  spec: { agent: { image: "ghcr.io/acme/agent:1.0" } },
};

function problems(input: unknown): string[] {
  const result = OrgSchema.safeParse(input);
  return result.success ? [] : formatIssues(result.error);
}

describe("OrgSchema", () => {
  it("fills every default of a minimal Org", () => {
    expect(OrgSchema.parse(minimal).spec).toEqual({
      agent: { image: "ghcr.io/acme/agent:1.0", env: [], allowImageOverride: false, workload: "Deployment" },
      editor: { enabled: true },
      mesh: { provider: "none", mode: "annotation", hostnamePattern: "{org}-{task}", tags: [] },
      network: { egress: { mode: "Restricted", allow: [], privateCIDRs: [...PRIVATE_CIDRS] } },
      workspace: {},
      limits: { maxConcurrentTasks: 5 },
    });
  });

  it("defaults the kubeconfig key to value, where Cluster API writes it", () => {
    const spec = OrgSpecSchema.parse({
      agent: { image: "agent" },
      cluster: { kubeconfigSecretRef: { name: "acme-kubeconfig", namespace: "capi" } },
    });
    expect(spec.cluster?.kubeconfigSecretRef.key).toBe("value");
  });

  it("defaults the repository branch to main", () => {
    const spec = OrgSpecSchema.parse({
      agent: { image: "agent" },
      repo: { url: "https://github.com/acme/app" },
    });
    expect(spec.repo?.branch).toBe("main");
  });

  it("gives each parse its own default objects", () => {
    const first = OrgSchema.parse(minimal);
    first.spec.mesh.tags.push("tag:x");
    expect(OrgSchema.parse(minimal).spec.mesh.tags).toEqual([]);
  });

  it("names the field and the fix", () => {
    expect(problems({ ...minimal, spec: { ...minimal.spec, namespace: "Team_A" } })).toEqual([
      "spec.namespace: must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (e.g. team-a)",
    ]);
    expect(problems({ ...minimal, spec: { ...minimal.spec, limits: { maxConcurrentTasks: 0 } } })).toEqual([
      "spec.limits.maxConcurrentTasks: must be at least 1",
    ]);
  });

  it("refuses Tailscale settings while the mesh provider is none", () => {
    expect(problems({ ...minimal, spec: { ...minimal.spec, mesh: { mode: "loadBalancer" } } })).toEqual([
      "spec.mesh.provider: mode, tags, proxyClass, tailnetDomain, loginServer and authKeySecretRef apply only to provider tailscale: set provider: tailscale or remove them",
    ]);
  });

  it("takes mode sidecar with a key Secret and a tailnet domain, and refuses it without them", () => {
    const sidecar = {
      provider: "tailscale",
      mode: "sidecar",
      loginServer: "https://headscale.example.com",
      authKeySecretRef: { name: "tailnet-key", namespace: "agentyard-secrets" },
      tailnetDomain: "tailnet.example.com",
      tags: ["tag:agents"],
    };
    expect(problems({ ...minimal, spec: { ...minimal.spec, mesh: sidecar } })).toEqual([]);
    const { authKeySecretRef: _key, tailnetDomain: _domain, ...bare } = sidecar;
    expect(problems({ ...minimal, spec: { ...minimal.spec, mesh: bare } })).toEqual([
      "spec.mesh.mode: mode sidecar needs authKeySecretRef (the Secret with the pre-authorised key) and tailnetDomain (the tailnet's MagicDNS suffix, for the editor URLs)",
    ]);
    expect(
      problems({ ...minimal, spec: { ...minimal.spec, mesh: { ...sidecar, proxyClass: "p" } } }),
    ).toEqual([
      "spec.mesh.proxyClass: proxyClass is the Tailscale operator's: it does not apply to mode sidecar; remove it",
    ]);
  });

  it("refuses a login server for the Tailscale operator's modes, and one that is no URL of its own", () => {
    const mesh = { provider: "tailscale", loginServer: "https://headscale.example.com" };
    expect(problems({ ...minimal, spec: { ...minimal.spec, mesh } })).toEqual([
      "spec.mesh.mode: loginServer and authKeySecretRef apply only to mode sidecar (the Tailscale operator has its own): set mode: sidecar or remove them",
    ]);
    // One of TS_EXTRA_ARGS: a space would smuggle in another tailscale up flag.
    const smuggled = {
      provider: "tailscale",
      mode: "sidecar",
      authKeySecretRef: { name: "k" },
      tailnetDomain: "t.example.com",
      loginServer: "https://h.example.com --exit-node=1.2.3.4",
    };
    expect(problems({ ...minimal, spec: { ...minimal.spec, mesh: smuggled } })).toEqual([
      "spec.mesh.loginServer: must be the control server's URL, http(s)://host[:port][/path] without credentials, e.g. https://headscale.example.com",
    ]);
  });

  it("refuses duplicate tags", () => {
    const mesh = { provider: "tailscale", tags: ["tag:a", "tag:a"] };
    expect(problems({ ...minimal, spec: { ...minimal.spec, mesh } })).toEqual([
      'spec.mesh.tags[1]: duplicate value "tag:a"',
    ]);
  });

  it("refuses unknown fields, as the API server's strict field validation does", () => {
    expect(problems({ ...minimal, spec: { ...minimal.spec, namspace: "x" } })).toEqual([
      'spec: Unrecognized key: "namspace"',
    ]);
  });

  it("limits names to 59 characters only while the namespace is the default", () => {
    const name = "a".repeat(60);
    expect(problems({ ...minimal, metadata: { name } })).toEqual([
      "metadata.name: Org names are at most 59 characters unless spec.namespace is set, so that the default namespace org-<name> fits in 63",
    ]);
    expect(
      problems({ ...minimal, metadata: { name }, spec: { ...minimal.spec, namespace: "acme" } }),
    ).toEqual([]);
  });
});

describe("orgNamespace", () => {
  it("is spec.namespace, or org-<name> without it", () => {
    expect(orgNamespace({ metadata: { name: "acme" }, spec: {} })).toBe("org-acme");
    expect(orgNamespace({ metadata: { name: "acme" }, spec: { namespace: "team-a" } })).toBe("team-a");
  });
});
