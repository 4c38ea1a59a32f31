import { z } from "zod";
import { dnsLabel, dnsSubdomain, presence } from "./formats.ts";

/**
 * A Secret an Org's agents mount. Where it is not already in the Org's namespace of the Org's
 * cluster, the operator copies it there; it reads the source only from the Org's own namespace or
 * one the platform team designated, so a tenant cannot name another tenant's Secret.
 */
export function orgSecretRef(description: string) {
  return z
    .strictObject(
      {
        name: dnsSubdomain().describe("Name of the Secret."),
        namespace: dnsLabel()
          .optional()
          .describe(
            "Namespace of the Secret in the management cluster: one the platform team designated for Org Secrets (the operator's --secret-namespaces), from where the operator copies it into the Org's namespace. The Org's own namespace when omitted.",
          ),
      },
      { error: presence("an object") },
    )
    .describe(description);
}
export type OrgSecretRef = z.infer<ReturnType<typeof orgSecretRef>>;
