import { describe, expect, it } from "vitest";
import { leaderElectionRules, operatorRules, type PolicyRule } from "./rbac.ts";

/** Every (group, resource, verb) the rules grant: rules grouped differently compare equal. */
function grants(rules: PolicyRule[]): string[] {
  return rules
    .flatMap((r) =>
      r.apiGroups.flatMap((g) =>
        r.resources.flatMap((res) => r.verbs.map((v) => `${g || "core"}/${res}:${v}`)),
      ),
    )
    .sort();
}

describe("the operator's RBAC rules", () => {
  it("grant exactly what its code uses, so that a new right is a deliberate change", () => {
    const crud = (group: string, resource: string) =>
      ["get", "list", "watch", "create", "patch", "delete"].map((v) => `${group}/${resource}:${v}`);
    expect(grants(operatorRules())).toEqual(
      [
        ...["get", "list", "watch", "patch"].map((v) => `agentyard.dev/orgs:${v}`),
        ...["get", "list", "watch", "patch", "delete"].map((v) => `agentyard.dev/agenttasks:${v}`),
        "agentyard.dev/orgs/status:patch",
        "agentyard.dev/agenttasks/status:patch",
        ...["get", "create", "patch"].map((v) => `core/namespaces:${v}`),
        ...["get", "create", "patch", "delete"].map((v) => `networking.k8s.io/networkpolicies:${v}`),
        ...crud("core", "configmaps"),
        "core/configmaps:update",
        ...crud("core", "secrets"),
        ...crud("core", "serviceaccounts"),
        ...crud("core", "services"),
        ...crud("core", "persistentvolumeclaims"),
        ...["list", "watch", "create", "patch", "delete"].map((v) => `core/pods:${v}`),
        ...crud("apps", "deployments"),
        ...crud("rbac.authorization.k8s.io", "roles"),
        ...crud("rbac.authorization.k8s.io", "rolebindings"),
        "node.k8s.io/runtimeclasses:get",
        "discovery.k8s.io/endpointslices:list",
        "events.k8s.io/events:create",
        "events.k8s.io/events:patch",
      ].sort(),
    );
    expect(grants(leaderElectionRules())).toEqual([
      "coordination.k8s.io/leases:create",
      "coordination.k8s.io/leases:get",
      "coordination.k8s.io/leases:update",
    ]);
  });

  it("say why each is there, and grant each resource in one rule", () => {
    const rules = [...operatorRules(), ...leaderElectionRules()];
    for (const r of rules) expect(r.why.length, r.resources.join()).toBeGreaterThan(0);
    const resources = rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)),
    );
    expect(new Set(resources).size).toBe(resources.length);
  });
});
