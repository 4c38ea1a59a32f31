import ipaddr from "ipaddr.js";

/**
 * CIDR ranges as NetworkPolicy ipBlocks take them. ipaddr.js also reads forms that the API server's
 * CEL `isCIDR` refuses (hex and octal IPv4, IPv6 zones), so the text must first look like a plain
 * dotted-decimal or IPv6 range.
 */
const IPV4_OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4_CIDR = new RegExp(`^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}/(3[0-2]|[12]?\\d)$`);
const IPV6_CIDR = /^[0-9a-fA-F:]+\/(12[0-8]|1[01]\d|[1-9]?\d)$/;

export interface Cidr {
  kind: "ipv4" | "ipv6";
  address: ipaddr.IPv4 | ipaddr.IPv6;
  bits: number;
}

export function isCidr(text: string): boolean {
  if (IPV4_CIDR.test(text)) return true;
  return IPV6_CIDR.test(text) && ipaddr.IPv6.isValidCIDR(text);
}

/** The range's network address and prefix; throws on text isCidr refuses. */
export function parseCidr(text: string): Cidr {
  if (!isCidr(text)) throw new Error(`not a CIDR range: ${text}`);
  const [, bits] = ipaddr.parseCIDR(text);
  const network = text.includes(":")
    ? ipaddr.IPv6.networkAddressFromCIDR(text)
    : ipaddr.IPv4.networkAddressFromCIDR(text);
  return { kind: network.kind(), address: network, bits };
}

/** The range as written with its host bits cleared, e.g. 10.1.2.3/8 → 10.0.0.0/8. */
export function formatCidr(cidr: Cidr): string {
  return `${cidr.address.toString()}/${cidr.bits}`;
}

/** Whether `inner` lies within `outer` (equal ranges included). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.kind !== inner.kind || inner.bits < outer.bits) return false;
  return inner.address.match(outer.address, outer.bits);
}

/** Whether the address (IPv4 or IPv6 text) lies within the range. */
export function cidrHolds(range: Cidr, address: string): boolean {
  const parsed = ipaddr.parse(address);
  return parsed.kind() === range.kind && parsed.match(range.address, range.bits);
}
