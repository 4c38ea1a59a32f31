import { stripManagedFields } from "@agentyard/kube-runtime";
import { API_VERSION, ORG_KIND, type Org } from "../../schema/index.ts";
import type { Actor } from "../actor.ts";
import { orgAttributes, orgPath } from "../resources.ts";

/** One page of Orgs, paged by the API server's own limit/continue, read as the caller. */
export async function listOrgs(
  actor: Actor,
  page: { limit: number; continue?: string },
): Promise<{ items: Org[]; continue?: string }> {
  await actor.authorize(orgAttributes("list"));
  const list = await actor.request<{ items: Org[]; metadata?: { continue?: string } }>("GET", orgPath(), {
    query: { limit: page.limit, continue: page.continue },
  });
  // Items of a list carry neither apiVersion nor kind.
  const items = list.items.map((org) =>
    stripManagedFields({ ...org, apiVersion: API_VERSION, kind: ORG_KIND } as Org),
  );
  const next = list.metadata?.continue || undefined;
  return next ? { items, continue: next } : { items };
}
