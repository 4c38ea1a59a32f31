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
import type { Org, OrgSecretRef } from "../../schema/index.ts";
import { orgNamespace } from "../../schema/index.ts";
import { type ApiServerEndpoints, OPEN_EGRESS_PORTS, renderEgress } from "./egress.ts";
import { EDITOR_PORT } from "./images.ts";
import type { KubeObject } from "./object.ts";

const PSA = "pod-security.kubernetes.io";

/**
 * What a tailscale sidecar reaches out on besides 443 (control server and DERP relays): STUN, its
 * own WireGuard port for direct paths to peers (without them it relays through DERP), and the
 * control server's port when the Org's loginServer names one.
 */
export function tailnetEgressPorts(org: Org): { protocol: string; port: number }[] {
  const mesh = org.spec.mesh;
  if (mesh.provider !== "tailscale" || mesh.mode !== "sidecar") return [];
  const ports = [
    { protocol: "UDP", port: 3478 },
    { protocol: "UDP", port: 41641 },
  ];
  const login = mesh.loginServer ? new URL(mesh.loginServer) : undefined;
  const loginPort = login ? Number(login.port || (login.protocol === "https:" ? 443 : 80)) : 443;
  if (!OPEN_EGRESS_PORTS.some((p) => p.protocol === "TCP" && p.port === loginPort)) {
    ports.push({ protocol: "TCP", port: loginPort });
  }
  return ports;
}

/**
 * The Org's namespace (PodSecurity restricted, enforced) and the policy that fences its agents in;
 * `apiServer` is where the Org's cluster serves its API to pods.
 */
export function renderOrg(org: Org, apiServer: ApiServerEndpoints): KubeObject[] {
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
        egress: renderEgress(org, apiServer, tailnetEgressPorts(org)),
      },
    },
  ];
}

/** A Secret the Org's agents mount, the spec field naming it, and the component label of its copy. */
export interface OrgSecret {
  field: string;
  ref: OrgSecretRef;
  component: (typeof SECRET_COPY_COMPONENTS)[number];
}

const SECRET_COPY_COMPONENTS = [
  COMPONENT.gitCredentials,
  COMPONENT.agentCredentials,
  COMPONENT.tailnetKey,
] as const;

/** The Secrets the Org's spec names for its agents, in the order their copies are applied. */
export function orgSecrets(org: Org): OrgSecret[] {
  const secrets: OrgSecret[] = [];
  const git = org.spec.git?.credentialsSecretRef;
  if (git)
    secrets.push({ field: "spec.git.credentialsSecretRef", ref: git, component: COMPONENT.gitCredentials });
  const agent = org.spec.agent.credentialsSecretRef;
  if (agent) {
    secrets.push({
      field: "spec.agent.credentialsSecretRef",
      ref: agent,
      component: COMPONENT.agentCredentials,
    });
  }
  const tailnet = org.spec.mesh.authKeySecretRef;
  if (tailnet) {
    secrets.push({ field: "spec.mesh.authKeySecretRef", ref: tailnet, component: COMPONENT.tailnetKey });
  }
  return secrets;
}

/**
 * An Org Secret copied into the Org's namespace in its cluster, where agents mount it: from a
 * designated namespace of the management cluster, or from the Org's namespace there into the Org's
 * own cluster. A Secret already in the Org's namespace of the management cluster is used as it is.
 */
export function renderSecretCopy(
  org: Org,
  secret: OrgSecret,
  source: { type?: string; data?: Record<string, string> },
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: secret.ref.name,
      namespace: orgNamespace(org),
      labels: { ...orgLabels(org.metadata.name as string), [LABEL_COMPONENT]: secret.component },
    },
    type: source.type ?? "Opaque",
    data: source.data ?? {},
  };
}

/** Whether a live Secret is a copy renderSecretCopy made for this Org, which may be updated or deleted. */
export function isSecretCopy(secret: KubernetesObject, org: Org): boolean {
  const labels = secret.metadata?.labels ?? {};
  return (
    labels[LABEL_MANAGED_BY] === MANAGED_BY &&
    labels[LABEL_ORG] === org.metadata.name &&
    (SECRET_COPY_COMPONENTS as readonly (string | undefined)[]).includes(labels[LABEL_COMPONENT])
  );
}
