import { describe, expect, it } from "vitest";
import { org, task } from "../schema/fixtures.test-support.ts";
import type { Org } from "../schema/index.ts";
import { existingNamespaceRefusal, isOrgsOwn, orgSpecRefusal, tasksInOrg } from "./tenancy.ts";

const policy = { operatorNamespaces: ["agentyard-system"], secretNamespaces: ["capi"] };

function created(o: Org, at: string): Org {
  o.metadata.creationTimestamp = at;
  return o;
}

describe("orgSpecRefusal", () => {
  it("accepts an Org in a namespace of its own, naming Secrets in designated namespaces", () => {
    const o = org({
      cluster: { kubeconfigSecretRef: { name: "k", namespace: "capi" } },
      git: { credentialsSecretRef: { name: "g", namespace: "capi" } },
    });
    expect(orgSpecRefusal(o, [o], policy)).toBeUndefined();
    expect(orgSpecRefusal(org({ git: { credentialsSecretRef: { name: "g" } } }), [], policy)).toBeUndefined();
  });

  it("refuses the operator's namespace and the designated Secret namespaces as an Org's", () => {
    expect(orgSpecRefusal(org({ namespace: "agentyard-system" }), [], policy)).toContain(
      "namespace agentyard-system is the operator's own",
    );
    expect(orgSpecRefusal(org({ namespace: "capi" }), [], policy)).toContain(
      "namespace capi holds the Secrets",
    );
  });

  it("gives a shared namespace to the oldest Org, the same answer for both", () => {
    const first = created(org({ namespace: "shared" }, "first"), "2026-01-01T00:00:00Z");
    const second = created(org({ namespace: "shared" }, "second"), "2026-01-02T00:00:00Z");
    const all = [second, first];
    expect(orgSpecRefusal(first, all, policy)).toBeUndefined();
    expect(orgSpecRefusal(second, all, policy)).toBe(
      "namespace shared is the namespace of Org first, and two Orgs cannot share one: choose another spec.namespace",
    );
    const team = created(org({ namespace: "org-team-a" }, "team"), "2026-01-01T00:00:00Z");
    const teamA = created(org({}, "team-a"), "2026-01-03T00:00:00Z");
    expect(orgSpecRefusal(teamA, [team, teamA], policy)).toContain("namespace of Org team");
  });

  it("refuses Secrets outside the designated namespaces", () => {
    const kube = org({ cluster: { kubeconfigSecretRef: { name: "k", namespace: "org-victim" } } });
    expect(orgSpecRefusal(kube, [], policy)).toBe(
      "spec.cluster.kubeconfigSecretRef.namespace org-victim is not a namespace designated for Org Secrets (capi): put the kubeconfig Secret in one of them",
    );
    const git = org({ git: { credentialsSecretRef: { name: "g", namespace: "kube-system" } } });
    expect(orgSpecRefusal(git, [], policy)).toContain("spec.git.credentialsSecretRef.namespace kube-system");
    expect(orgSpecRefusal(kube, [], { ...policy, secretNamespaces: [] })).toContain("(none)");
    const keys = org({
      agent: { preset: "claude-code", credentialsSecretRef: { name: "k", namespace: "org-victim" } },
    });
    expect(orgSpecRefusal(keys, [], policy)).toBe(
      "spec.agent.credentialsSecretRef.namespace org-victim is not a namespace designated for Org Secrets (capi): put the Secret in one of them, or in the Org's namespace and leave namespace out",
    );
  });

  it("refuses two Secrets of one name from different namespaces, and lets two fields share one Secret", () => {
    const clash = org({
      git: { credentialsSecretRef: { name: "s", namespace: "capi" } },
      agent: { preset: "codex", credentialsSecretRef: { name: "s" } },
    });
    expect(orgSpecRefusal(clash, [], policy)).toBe(
      "spec.git.credentialsSecretRef and spec.agent.credentialsSecretRef both name a Secret s, from namespaces capi and org-acme: the Org's namespace holds one Secret of that name, so rename one of them",
    );
    const shared = org({
      git: { credentialsSecretRef: { name: "s", namespace: "capi" } },
      agent: { preset: "codex", credentialsSecretRef: { name: "s", namespace: "capi" } },
    });
    expect(orgSpecRefusal(shared, [], policy)).toBeUndefined();
  });
});

describe("existingNamespaceRefusal", () => {
  const ns = (labels: Record<string, string>) => ({ metadata: { name: "org-acme", labels } });
  it("lets an Org keep the namespace agentyard made for it", () => {
    expect(existingNamespaceRefusal(org(), undefined, "local")).toBeUndefined();
    const made = ns({ "app.kubernetes.io/managed-by": "agentyard", "agentyard.dev/org": "acme" });
    expect(existingNamespaceRefusal(org(), made, "local")).toBeUndefined();
  });
  it("refuses one made by someone else, or by agentyard for another Org", () => {
    expect(existingNamespaceRefusal(org(), ns({}), "local")).toBe(
      "namespace org-acme already exists in cluster local and was not made by agentyard for Org acme: an Org takes only a namespace of its own; choose another spec.namespace",
    );
    const other = ns({ "app.kubernetes.io/managed-by": "agentyard", "agentyard.dev/org": "globex" });
    expect(existingNamespaceRefusal(org(), other, "capi/k")).toContain("cluster capi/k");
  });
});

describe("isOrgsOwn", () => {
  const labelled = (labels: Record<string, string>) => ({ metadata: { labels } });
  it("is true only for an object agentyard made for this Org", () => {
    expect(
      isOrgsOwn(
        labelled({ "app.kubernetes.io/managed-by": "agentyard", "agentyard.dev/org": "acme" }),
        org(),
      ),
    ).toBe(true);
    expect(
      isOrgsOwn(
        labelled({ "app.kubernetes.io/managed-by": "agentyard", "agentyard.dev/org": "globex" }),
        org(),
      ),
    ).toBe(false);
    expect(isOrgsOwn(labelled({ "agentyard.dev/org": "acme" }), org())).toBe(false);
    expect(isOrgsOwn({ metadata: {} }, org())).toBe(false);
  });
});

describe("tasksInOrg", () => {
  it("keeps the tasks in the Org's namespace", () => {
    const own = task();
    const elsewhere = task({}, "squatter");
    elsewhere.metadata.namespace = "org-mallory";
    expect(tasksInOrg([own, elsewhere], org())).toEqual([own]);
  });
});
