import { createHash } from "node:crypto";

/** Names of the objects a task owns, in its Org's namespace and cluster. One place, so nothing drifts. */
export const taskChildNames = (task: string) => ({
  deployment: task,
  service: task,
  stateConfigMap: `${task}-state`,
  editorSecret: `${task}-editor`,
  serviceAccount: `${task}-agent`,
  role: `${task}-agent`,
  roleBinding: `${task}-agent`,
});

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
