import { type Cidr, cidrContains, formatCidr, parseCidr } from "../../schema/cidr.ts";
import { type EgressAllow, METADATA_CIDRS, type Org } from "../../schema/index.ts";

export interface NetworkPolicyPort {
  protocol: string;
  port: number;
}

export interface NetworkPolicyPeer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: { matchLabels: Record<string, string> };
}

export interface EgressRule {
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

/** Where agents find their cluster's API server: the addresses and ports of the `kubernetes` Service's endpoints. */
export interface ApiServerEndpoints {
  addresses: string[];
  ports: number[];
}

/** Ports agents reach out on in mode Open: DNS, git over HTTPS, SSH and git://, and the API server for their state. */
export const OPEN_EGRESS_PORTS: NetworkPolicyPort[] = [
  { protocol: "UDP", port: 53 },
  { protocol: "TCP", port: 53 },
  { protocol: "TCP", port: 443 },
  { protocol: "TCP", port: 22 },
  { protocol: "TCP", port: 9418 },
  { protocol: "TCP", port: 6443 },
];

const DNS_PORTS: NetworkPolicyPort[] = [
  { protocol: "UDP", port: 53 },
  { protocol: "TCP", port: 53 },
];

/** The cluster DNS runs in kube-system; the namespace label is set by the API server itself. */
const CLUSTER_DNS: NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
};

/**
 * What an allowed range must leave out: every denied range strictly inside it (the API server
 * takes only strict subsets as `except`), none that another one left out already covers.
 */
export function exceptions(allowed: Cidr, denied: readonly Cidr[]): Cidr[] {
  const inside = denied.filter((d) => d.bits > allowed.bits && cidrContains(allowed, d));
  const kept = inside.filter(
    (d, i) => !inside.some((o, j) => j !== i && cidrContains(o, d) && (o.bits < d.bits || j < i)),
  );
  return kept;
}

function hostRange(address: string): string {
  return address.includes(":") ? `${address}/128` : `${address}/32`;
}

function allowRule(allow: EgressAllow, denied: readonly Cidr[]): EgressRule {
  const range = parseCidr(allow.cidr);
  const except = exceptions(range, denied).map(formatCidr);
  const ipBlock = except.length > 0 ? { cidr: formatCidr(range), except } : { cidr: formatCidr(range) };
  const ports = allow.ports?.map((p) => ({ protocol: p.protocol, port: p.port }));
  return ports ? { to: [{ ipBlock }], ports } : { to: [{ ipBlock }] };
}

/**
 * The egress rules of the Org's NetworkPolicy. Restricted: the cluster DNS, the API server (agents
 * write their state there) and each allowed range less the private and metadata ranges inside it.
 * Open: any destination on the ports agents use, and those a tailscale sidecar needs.
 */
export function renderEgress(
  org: Org,
  apiServer: ApiServerEndpoints,
  tailnetPorts: NetworkPolicyPort[],
): EgressRule[] {
  const egress = org.spec.network.egress;
  if (egress.mode === "Open") return [{ ports: [...OPEN_EGRESS_PORTS, ...tailnetPorts] }];
  const denied = [...egress.privateCIDRs, ...METADATA_CIDRS].map(parseCidr);
  const rules: EgressRule[] = [{ to: [CLUSTER_DNS], ports: DNS_PORTS }];
  if (apiServer.addresses.length > 0) {
    rules.push({
      to: apiServer.addresses.map((a) => ({ ipBlock: { cidr: hostRange(a) } })),
      ports: apiServer.ports.map((port) => ({ protocol: "TCP", port })),
    });
  }
  for (const allow of egress.allow) rules.push(allowRule(allow, denied));
  return rules;
}
