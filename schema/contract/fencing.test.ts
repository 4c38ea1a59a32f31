import { KubeError, notLeaderMessage, NOT_LEADER_PREFIX as RUNTIME_PREFIX } from "@agentyard/kube-runtime";
import { describe, expect, it } from "vitest";
import { leaderFencePolicy, NOT_LEADER_PREFIX } from "./fencing.ts";
import { leaderElectionRules, operatorRules } from "./rbac.ts";

const fence = leaderFencePolicy("fence", {
  serviceAccount: { namespace: "agentyard-system", name: "agentyard-operator" },
  lease: { namespace: "agentyard-system", name: "agentyard-operator" },
});
const spec = fence.policy.spec as {
  matchConstraints: { resourceRules: { apiGroups: string[]; resources: string[]; operations: string[] }[] };
};
const fenced = spec.matchConstraints.resourceRules.flatMap((r) =>
  r.resources.map((res) => `${r.apiGroups[0]}/${res}`),
);

describe("the leader fence", () => {
  it("covers every resource the operator writes, with every writing operation", () => {
    const written = operatorRules()
      .filter((r) => r.verbs.some((v) => ["create", "patch", "update", "delete"].includes(v)))
      .flatMap((r) => r.resources.map((res) => `${r.apiGroups[0]}/${res}`));
    expect(new Set(fenced)).toEqual(new Set(written));
    expect(fenced).toEqual(
      expect.arrayContaining(["agentyard.dev/agenttasks/status", "events.k8s.io/events"]),
    );
    for (const rule of spec.matchConstraints.resourceRules) {
      expect(rule.operations).toEqual(["CREATE", "UPDATE", "DELETE"]);
    }
  });

  it("leaves the Lease out: writing it is how a replica becomes the holder", () => {
    for (const rule of leaderElectionRules()) {
      for (const res of rule.resources) expect(fenced).not.toContain(`${rule.apiGroups[0]}/${res}`);
    }
  });

  it("denies with a message the runtime takes for the end of a term", () => {
    expect(NOT_LEADER_PREFIX).toBe(RUNTIME_PREFIX);
    const denial = new KubeError(
      "PATCH /apis/agentyard.dev/v1alpha1/namespaces/o/agenttasks/t/status",
      403,
      JSON.stringify({
        kind: "Status",
        code: 403,
        reason: "Forbidden",
        message: `agenttasks.agentyard.dev "t" is forbidden: ValidatingAdmissionPolicy 'fence' with binding 'fence' denied request: ${NOT_LEADER_PREFIX}b holds the Lease`,
      }),
      {},
    );
    expect(notLeaderMessage(denial)).toContain("not the leader: b holds the Lease");
    const rbac = new KubeError(
      "PATCH /x",
      403,
      JSON.stringify({ code: 403, message: "forbidden: User cannot patch" }),
      {},
    );
    expect(notLeaderMessage(rbac)).toBeUndefined();
  });
});
