import { describe, expect, it } from "vitest";
import { tailnetHostname } from "../../schema/contract/index.ts";
import { org, task } from "../../schema/fixtures.test-support.ts";
import type { Rendered } from "./rendered.test-support.ts";
import { editorURL, localEditorAddress, renderService } from "./service.ts";

const render = (mesh: Record<string, unknown>) =>
  renderService(task(), org({ mesh }), { labels: { a: "b" }, owner: {} }) as Rendered;

describe("the editor Service", () => {
  it("is a ClusterIP Service on port 8443 named editor without a mesh", () => {
    const svc = render({});
    expect(svc.metadata.annotations).toBeUndefined();
    expect(svc.spec).toEqual({
      type: "ClusterIP",
      selector: { "agentyard.dev/task": "fix-bug", "app.kubernetes.io/component": "agent" },
      ports: [{ name: "editor", port: 8443, targetPort: "editor", protocol: "TCP" }],
    });
  });

  it("carries the Tailscale operator's annotations in annotation mode", () => {
    const svc = render({ provider: "tailscale", tags: ["tag:agents", "tag:acme"], proxyClass: "agents" });
    expect(svc.metadata.annotations).toEqual({
      "tailscale.com/expose": "true",
      "tailscale.com/hostname": "acme-fix-bug-4508a94a0c",
      "tailscale.com/tags": "tag:agents,tag:acme",
      "tailscale.com/proxy-class": "agents",
    });
    expect(svc.spec.type).toBe("ClusterIP");
  });

  it("asks for a tailscale LoadBalancer in loadBalancer mode", () => {
    const svc = render({ provider: "tailscale", mode: "loadBalancer" });
    expect(svc.spec).toMatchObject({ type: "LoadBalancer", loadBalancerClass: "tailscale" });
    expect(svc.metadata.annotations).toEqual({ "tailscale.com/hostname": "acme-fix-bug-4508a94a0c" });
  });

  it("expands the hostname pattern into a valid DNS label", () => {
    expect(
      tailnetHostname(task(), org({ mesh: { provider: "tailscale", hostnamePattern: "agent-{task}" } })),
    ).toBe("agent-fix-bug-4508a94a0c");
    const long = tailnetHostname(task({}, `t${"x".repeat(62)}`), org());
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it("gives two Orgs' tasks two hostnames even where their names expand alike", () => {
    const tailscale = { mesh: { provider: "tailscale" } };
    const teamA = tailnetHostname(task({ org: "team-a" }, "x"), org(tailscale, "team-a"));
    const team = tailnetHostname(task({ org: "team" }, "a-x"), org(tailscale, "team"));
    expect(teamA).not.toBe(team);
    const taskOnly = { mesh: { provider: "tailscale", hostnamePattern: "{task}" } };
    expect(tailnetHostname(task({}, "x"), org(taskOnly, "one"))).not.toBe(
      tailnetHostname(task({}, "x"), org(taskOnly, "two")),
    );
  });
});

describe("editorURL", () => {
  const ts = org({ mesh: { provider: "tailscale", mode: "loadBalancer", tailnetDomain: "tail1234.ts.net" } });
  it("prefers the hostname the Tailscale operator publishes", () => {
    const svc = {
      status: {
        loadBalancer: {
          ingress: [{ ip: "100.64.0.1" }, { hostname: "acme-fix-bug-4508a94a0c.tail1234.ts.net" }],
        },
      },
    };
    expect(editorURL(task(), ts, svc)).toBe("http://acme-fix-bug-4508a94a0c.tail1234.ts.net:8443/");
  });
  it("builds the tailnet name from the Org's tailnet domain", () => {
    expect(editorURL(task(), ts, undefined)).toBe("http://acme-fix-bug-4508a94a0c.tail1234.ts.net:8443/");
  });
  it("uses the loopback address of a pod run as a host process", () => {
    const pod = {
      metadata: { annotations: { "agentyard.dev/local-ports": '{"editor":"127.0.0.1:40123"}' } },
    };
    expect(editorURL(task(), org(), undefined, localEditorAddress(pod))).toBe("http://127.0.0.1:40123/");
    const bogus = {
      metadata: { annotations: { "agentyard.dev/local-ports": '{"editor":"evil.example:80"}' } },
    };
    expect(localEditorAddress(bogus)).toBeUndefined();
    expect(
      localEditorAddress({ metadata: { annotations: { "agentyard.dev/local-ports": "{" } } }),
    ).toBeUndefined();
  });

  it("falls back to the in-cluster DNS name", () => {
    expect(editorURL(task(), org(), undefined)).toBe("http://fix-bug.org-acme.svc.cluster.local:8443/");
  });
});
