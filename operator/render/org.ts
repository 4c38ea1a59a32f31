import type { KubernetesObject } from "@kubernetes/client-node";
import {
  COMPONENT,
  LABEL_COMPONENT,
  LABEL_MANAGED_BY,
  LABEL_ORG,
  MANAGED_BY,
  ORG_NETWORK_POLICY,
  orgLabels,
} from "../../schema/contract/index.ts";
import type { Org } from "../../schema/index.ts";
import { orgNamespace } from "../../schema/index.ts";
import { EDITOR_PORT } from "./images.ts";
import type { KubeObject } from "./object.ts";

const PSA = "pod-security.kubernetes.io";

/** Ports agents reach out on: DNS, git over HTTPS, SSH and git://, and the API server for their state. */
const EGRESS_PORTS: { protocol: string; port: number }[] = [
  { protocol: "UDP", port: 53 },
  { protocol: "TCP", port: 53 },
  { protocol: "TCP", port: 443 },
  { protocol: "TCP", port: 22 },
  { protocol: "TCP", port: 9418 },
  { protocol: "TCP", port: 6443 },
];

/** The Org's namespace (PodSecurity restricted, enforced) and the policy that fences its agents in. */
export function renderOrg(org: Org): KubeObject[] {
  const name = org.metadata.name as string;
  const namespace = orgNamespace(org);
  const labels = orgLabels(name);
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: namespace,
        labels: {
          ...labels,
          [`${PSA}/enforce`]: "restricted",
          [`${PSA}/enforce-version`]: "latest",
          [`${PSA}/warn`]: "restricted",
          [`${PSA}/audit`]: "restricted",
        },
      },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: ORG_NETWORK_POLICY, namespace, labels },
      spec: {
        podSelector: {
          matchLabels: { [LABEL_COMPONENT]: COMPONENT.agent, [LABEL_MANAGED_BY]: MANAGED_BY },
        },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ ports: [{ protocol: "TCP", port: EDITOR_PORT }] }],
        egress: [{ ports: EGRESS_PORTS }],
      },
    },
  ];
}

/**
 * The Org's git credentials copied into its namespace in its cluster, where agents mount them: from
 * a designated namespace of the management cluster, or from the Org's namespace there into the
 * Org's own cluster. A Secret already in the Org's namespace of the management cluster is used as it is.
 */
export function renderGitCredentialsCopy(
  org: Org,
  source: { type?: string; data?: Record<string, string> },
): KubeObject | undefined {
  const ref = org.spec.git?.credentialsSecretRef;
  if (!ref) return undefined;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: ref.name,
      namespace: orgNamespace(org),
      labels: { ...orgLabels(org.metadata.name as string), [LABEL_COMPONENT]: COMPONENT.gitCredentials },
    },
    type: source.type ?? "Opaque",
    data: source.data ?? {},
  };
}

/** Whether a live Secret is the copy renderGitCredentialsCopy made for this Org, which may be updated. */
export function isGitCredentialsCopy(secret: KubernetesObject, org: Org): boolean {
  const labels = secret.metadata?.labels ?? {};
  return (
    labels[LABEL_MANAGED_BY] === MANAGED_BY &&
    labels[LABEL_ORG] === org.metadata.name &&
    labels[LABEL_COMPONENT] === COMPONENT.gitCredentials
  );
}
