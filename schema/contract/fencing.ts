import type { AdmissionObjects } from "./admission.ts";
import { operatorRules } from "./rbac.ts";

/**
 * Fencing of the operator's leader terms on the API server. A replica stops acting before a
 * standby may take the Lease, but a write it sent in time can still reach the server later (held
 * in a TLS buffer across a pause, a slow network): no client-side check can stop that. This policy
 * does: a request of the operator's ServiceAccount whose token is bound to a Pod (the
 * `pod-name` extra of KEP-4193) is refused unless that Pod holds the Lease at the moment the API
 * server admits it. The replica's identity in the Lease is its pod name (POD_NAME, the chart's
 * Deployment). Lease writes are left out: they are how a replica becomes the holder, and the
 * Lease's resourceVersion already orders them. Requests without the extra (an operator run from a
 * kubeconfig) are not matched, and the clusters of Orgs, which hold no Lease, are not fenced.
 * The chart, the cdk8s app and the devcluster tests install these objects as they are.
 */

/** What the API server puts in user.extra of a ServiceAccount token bound to a Pod. */
export const POD_NAME_EXTRA = "authentication.kubernetes.io/pod-name";

/**
 * How the message of a denial starts; the runtime (`isNotLeader` in @agentyard/kube-runtime)
 * recognises it, and schema/contract/fencing.test.ts checks that the two agree.
 */
export const NOT_LEADER_PREFIX = "not the leader: ";

export interface LeaderFence {
  /** The operator's ServiceAccount, whose tokens the replicas use. */
  serviceAccount: { namespace: string; name: string };
  /** The Lease the replicas elect a leader with. */
  lease: { namespace: string; name: string };
}

const WRITES = new Set(["create", "patch", "update", "delete"]);

/** Every resource the operator may write (its ClusterRole), by API group; the Lease is in another Role. */
function writtenResources(): {
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  operations: string[];
}[] {
  const byGroup = new Map<string, string[]>();
  for (const rule of operatorRules()) {
    if (!rule.verbs.some((v) => WRITES.has(v))) continue;
    for (const group of rule.apiGroups) {
      const resources = byGroup.get(group) ?? [];
      for (const r of rule.resources) if (!resources.includes(r)) resources.push(r);
      byGroup.set(group, resources);
    }
  }
  // A server-side apply that creates is a CREATE, one that changes an UPDATE, whatever the verb.
  const operations = ["CREATE", "UPDATE", "DELETE"];
  return [...byGroup].map(([group, resources]) => ({
    apiGroups: [group],
    apiVersions: ["*"],
    resources,
    operations,
  }));
}

export function leaderFencePolicy(
  name: string,
  { serviceAccount, lease }: LeaderFence,
  metadata: Record<string, unknown> = {},
): AdmissionObjects {
  const extra = JSON.stringify(POD_NAME_EXTRA);
  const user = JSON.stringify(`system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`);
  return {
    policy: {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { ...metadata, name },
      spec: {
        failurePolicy: "Fail",
        paramKind: { apiVersion: "coordination.k8s.io/v1", kind: "Lease" },
        matchConstraints: { resourceRules: writtenResources() },
        matchConditions: [
          { name: "operator-service-account", expression: `request.userInfo.username == ${user}` },
          {
            name: "token-bound-to-a-pod",
            expression: `has(request.userInfo.extra) && ${extra} in request.userInfo.extra && size(request.userInfo.extra[${extra}]) > 0`,
          },
        ],
        variables: [
          {
            name: "holder",
            expression:
              "has(params.spec) && has(params.spec.holderIdentity) ? params.spec.holderIdentity : ''",
          },
        ],
        validations: [
          {
            expression: `request.userInfo.extra[${extra}][0] == variables.holder`,
            messageExpression: `${JSON.stringify(NOT_LEADER_PREFIX)} + (variables.holder == '' ? 'no replica' : variables.holder) + ' holds the Lease'`,
            reason: "Forbidden",
          },
        ],
      },
    },
    binding: {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { ...metadata, name },
      spec: {
        policyName: name,
        // The API server looks for the Lease before it reads matchConditions: with Deny, a missing
        // Lease would refuse everyone's writes of these kinds (a fresh install's first Org). No
        // replica writes before it created the Lease, so only a Lease deleted by hand opens the fence.
        paramRef: { name: lease.name, namespace: lease.namespace, parameterNotFoundAction: "Allow" },
        validationActions: ["Deny"],
      },
    },
  };
}
