import { cidrHolds, parseCidr } from "../../schema/cidr.ts";
import type { EgressRule } from "./egress.ts";

/**
 * Whether a NetworkPolicy's egress rules let a pod connect to an address outside the cluster's
 * pods, as the API reference defines them: some rule whose peers (none: any) hold the address,
 * outside the peer's except ranges, and whose ports (none: any) hold the port.
 */
export function egressAllows(rules: EgressRule[], address: string, port: number, protocol = "TCP"): boolean {
  const holds = (range: string) => {
    const cidr = parseCidr(range);
    return (address.includes(":") ? "ipv6" : "ipv4") === cidr.kind && cidrHolds(cidr, address);
  };
  return rules.some((rule) => {
    const toAddress =
      rule.to === undefined ||
      rule.to.some(
        (peer) =>
          peer.ipBlock !== undefined && holds(peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some(holds),
      );
    const onPort =
      rule.ports === undefined || rule.ports.some((p) => p.port === port && p.protocol === protocol);
    return toAddress && onPort;
  });
}
