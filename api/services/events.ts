import { orgNamespace } from "../../schema/index.ts";
import type { Actor } from "../actor.ts";
import { orgAttributes, orgPath, readOrg, taskAttributes, taskPath } from "../resources.ts";
import type { StreamSource } from "../sse.ts";

/**
 * What an event stream watches, once the caller may watch it: the tasks and the Orgs, or with
 * `org` that Org's tasks and the Org alone.
 */
export async function streamSources(actor: Actor, org: string | undefined): Promise<StreamSource[]> {
  const namespace = org ? orgNamespace(await readOrg(actor, org)) : undefined;
  await actor.authorize(taskAttributes("watch", namespace));
  await actor.authorize(orgAttributes("watch", org));
  return [
    { kind: "task", path: taskPath(namespace) },
    { kind: "org", path: orgPath(), ...(org ? { fieldSelector: `metadata.name=${org}` } : {}) },
  ];
}
