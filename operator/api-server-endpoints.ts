import type { ClusterClient } from "@agentyard/kube-runtime";
import type { ApiServerEndpoints } from "./render/egress.ts";

interface EndpointSliceList {
  items: {
    addressType?: string;
    endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[];
    ports?: { port?: number; protocol?: string }[];
  }[];
}

/**
 * Where a cluster's pods reach its API server: the endpoints of the `kubernetes` Service in
 * `default`, which the API servers themselves keep. NetworkPolicies match after the Service's
 * address is translated, so these, not the Service's ClusterIP, are what a policy must allow.
 * Sorted, so that an unchanged cluster renders an unchanged policy.
 */
export async function apiServerEndpoints(
  client: ClusterClient,
  signal: AbortSignal,
): Promise<ApiServerEndpoints> {
  const list = await client.request<EndpointSliceList>(
    "GET",
    "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
    { query: { labelSelector: "kubernetes.io/service-name=kubernetes" }, signal },
  );
  const addresses = new Set<string>();
  const ports = new Set<number>();
  for (const slice of list.items) {
    if (slice.addressType !== "IPv4" && slice.addressType !== "IPv6") continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses ?? []) addresses.add(address);
    }
    for (const port of slice.ports ?? []) {
      if (port.port !== undefined && (port.protocol ?? "TCP") === "TCP") ports.add(port.port);
    }
  }
  return { addresses: [...addresses].sort(), ports: [...ports].sort((a, b) => a - b) };
}
