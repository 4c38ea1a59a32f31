import { KubeError } from "@agentyard/kube-runtime";
import {
  AGENT_TASK_PLURAL,
  type AgentTask,
  API_VERSION,
  GROUP,
  ORG_PLURAL,
  type Org,
} from "../schema/index.ts";
import type { Actor } from "./actor.ts";
import { notFound } from "./problem.ts";

/** Kubernetes paths and lookups the routes share. */

/** The path of a collection or object of a group/version, with every segment escaped. */
function resourcePath(
  apiVersion: string,
  plural: string,
  { namespace, name, subresource }: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const obj = name ? `/${encodeURIComponent(name)}` : "";
  const sub = subresource ? `/${subresource}` : "";
  return `${base}${ns}/${plural}${obj}${sub}`;
}

export function taskPath(namespace?: string, name?: string, subresource?: string): string {
  return resourcePath(API_VERSION, AGENT_TASK_PLURAL, {
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    ...(subresource ? { subresource } : {}),
  });
}

export function orgPath(name?: string): string {
  return resourcePath(API_VERSION, ORG_PLURAL, name ? { name } : {});
}

export const taskAttributes = (verb: string, namespace?: string, name?: string) => ({
  verb,
  group: GROUP,
  resource: AGENT_TASK_PLURAL,
  ...(namespace ? { namespace } : {}),
  ...(name ? { name } : {}),
});

export const orgAttributes = (verb: string, name?: string) => ({
  verb,
  group: GROUP,
  resource: ORG_PLURAL,
  ...(name ? { name } : {}),
});

/** The Org, read as the caller; a 404 names it. */
export async function readOrg(actor: Actor, name: string): Promise<Org> {
  await actor.authorize(orgAttributes("get", name));
  try {
    return await actor.request<Org>("GET", orgPath(name));
  } catch (err) {
    if (err instanceof KubeError && err.code === 404) {
      throw notFound(`org ${JSON.stringify(name)} not found: create the Org first, or check the name`);
    }
    throw err;
  }
}

export function taskNotFound(namespace: string, name: string) {
  return notFound(`task ${namespace}/${name} not found`);
}

export async function readTask(actor: Actor, namespace: string, name: string): Promise<AgentTask> {
  await actor.authorize(taskAttributes("get", namespace, name));
  try {
    return await actor.request<AgentTask>("GET", taskPath(namespace, name));
  } catch (err) {
    if (err instanceof KubeError && err.code === 404) throw taskNotFound(namespace, name);
    throw err;
  }
}
