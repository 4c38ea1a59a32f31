import { z } from "zod";
import { cidrContains, isCidr, parseCidr } from "./cidr.ts";
import { celString, defaultedObject, listSet, withRules } from "./extensions.ts";
import { boundedString } from "./formats.ts";

/**
 * Cloud metadata services (AWS, GCP and Azure; AWS ECS task credentials; Alibaba; AWS over IPv6):
 * never reachable from an agent, whatever else an Org allows. They hold the node's credentials.
 */
export const METADATA_CIDRS = [
  "169.254.169.254/32",
  "169.254.170.2/32",
  "100.100.100.200/32",
  "fd00:ec2::254/128",
] as const;

/** Private, shared (CGNAT), link-local and unique-local ranges: where a cluster's pods, nodes and services live. */
export const PRIVATE_CIDRS = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "169.254.0.0/16",
  "fc00::/7",
  "fe80::/10",
] as const;

const CIDR_MESSAGE = "must be a CIDR range such as 203.0.113.7/32 or 2001:db8::/48";

/** A CIDR range, as the API server's CEL library reads one. */
export function cidr(): z.ZodString {
  return withRules(boundedString(49), { rule: "isCIDR(self)", message: CIDR_MESSAGE, check: isCidr });
}

const METADATA_MESSAGE = `must not be a cloud metadata address (${METADATA_CIDRS.join(", ")}): agents never reach those`;

const EgressPortSchema = z.strictObject({
  port: z.int().min(1, "must be at least 1").max(65535, "must be at most 65535").describe("Port number."),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP").describe("Protocol."),
});

const EgressAllowSchema = withRules(
  z.strictObject({
    cidr: cidr().describe(
      "Destination range, e.g. the forge's or the model endpoint's addresses. Cluster-internal and cloud metadata ranges inside it stay denied (privateCIDRs); a range that lies inside a private one is allowed as written.",
    ),
    ports: z
      .array(EgressPortSchema)
      .max(16, "must have at most 16 entries")
      .optional()
      .describe("Ports allowed to that range; every port when omitted."),
    description: boundedString(253)
      .optional()
      .describe("What the range is, e.g. git.example.com or the model API; for people reading the Org."),
  }),
  {
    rule: `!isCIDR(self.cidr) || [${METADATA_CIDRS.map(celString).join(", ")}].all(m, !cidr(m).containsCIDR(self.cidr))`,
    message: METADATA_MESSAGE,
    fieldPath: ".cidr",
    check: (allow) =>
      !isCidr(allow.cidr) || METADATA_CIDRS.every((m) => !cidrContains(parseCidr(m), parseCidr(allow.cidr))),
  },
);
export type EgressAllow = z.infer<typeof EgressAllowSchema>;

const EgressSchema = withRules(
  z
    .strictObject({
      mode: z
        .enum(["Restricted", "Open"])
        .default("Restricted")
        .describe(
          "Restricted: agents reach DNS, their cluster's API server and the ranges in allow, nothing else. Open: any destination on the ports agents use (DNS, git over HTTPS, SSH and git://, the API server).",
        ),
      allow: z
        .array(EgressAllowSchema)
        .max(64, "must have at most 64 entries")
        .default([])
        .describe(
          "Destinations the agents may reach in mode Restricted: git hosts, forges, model endpoints.",
        ),
      privateCIDRs: listSet(z.array(cidr()).max(32, "must have at most 32 entries"))
        .default([...PRIVATE_CIDRS])
        .describe(
          "Ranges that stay denied inside any allowed range, cloud metadata addresses always among them: the cluster's pod, service and node networks.",
        ),
    })
    .describe("Where the Org's agents may connect to."),
  {
    rule: "self.mode == 'Restricted' || size(self.allow) == 0",
    message: "allow applies to mode Restricted: Open already allows any destination on the agents' ports",
    fieldPath: ".allow",
    check: (egress) => egress.mode === "Restricted" || egress.allow.length === 0,
  },
);
export type Egress = z.infer<typeof EgressSchema>;

export const NetworkSchema = z
  .strictObject({ egress: defaultedObject(EgressSchema) })
  .describe("The network policy of the Org's agents.");
