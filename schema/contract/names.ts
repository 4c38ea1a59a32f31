import { createHash } from "node:crypto";
import type { AgentTask } from "../agenttask.ts";
import type { Org } from "../org.ts";

/**
 * Names of the objects a task owns, in its Org's namespace and cluster. The operator creates them,
 * the api answers with them and reads the state ConfigMap by its name.
 */
export const taskChildNames = (task: string) => ({
  deployment: task,
  service: task,
  stateConfigMap: `${task}-state`,
  editorSecret: `${task}-editor`,
  serviceAccount: `${task}-agent`,
  role: `${task}-agent`,
  roleBinding: `${task}-agent`,
  workspace: `${task}-workspace`,
});

export type TaskChild = keyof ReturnType<typeof taskChildNames>;

/**
 * The bare agent Pod of one attempt (spec.agent.workload Pod). One name per attempt, so that the
 * API server, not a cache, guarantees at most one pod of an attempt: a create that finds it there
 * is refused. Task names end in a letter or digit and the attempt is digits only, so no two
 * (task, attempt) pairs share a name.
 */
export const agentPodName = (task: string, attempt: number) => `${task}-${attempt}`;

/** The NetworkPolicy that fences an Org's agents in, one per Org namespace. */
export const ORG_NETWORK_POLICY = "agentyard-agents";

/** Fits a generated name into a DNS-1123 label (63 characters), keeping it unique with a hash suffix. */
export function fitLabel(name: string, max = 63): string {
  const clean = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
  if (clean.length <= max) return clean;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${clean.slice(0, max - 9).replace(/-+$/, "")}-${hash}`;
}

/** Hex digits of the hash that ends a tailnet hostname: 40 bits, no collision in any tailnet's lifetime. */
const HOST_HASH_LENGTH = 10;

/**
 * The tailnet hostname of a task's editor: the Org's pattern with {org} and {task} expanded, then a
 * hash of the Org's and the task's names. Names may hold '-', so the expansion alone is not unique
 * (Org team-a's task x and Org team's task a-x both read team-a-x, and a pattern may leave {org}
 * out); the hash is, so one tenant's link never opens another's editor. The operator asks the
 * Tailscale operator for it; the api promises it in its answer to a schedule.
 */
export function tailnetHostname(task: AgentTask, org: Org): string {
  const orgName = org.metadata.name as string;
  const taskName = task.metadata.name as string;
  const expanded = org.spec.mesh.hostnamePattern.replaceAll("{org}", orgName).replaceAll("{task}", taskName);
  // '/' is in neither name, so the hashed text names one pair.
  const hash = createHash("sha256").update(`${orgName}/${taskName}`).digest("hex").slice(0, HOST_HASH_LENGTH);
  return `${fitLabel(expanded, 63 - HOST_HASH_LENGTH - 1)}-${hash}`;
}
