import type { AgentTask, Condition, Org } from "../../schema/index.ts";

export type Health = { tone: "ok" | "warn" | "bad" | "neutral"; state: string; detail: string };

/** A task the operator has not looked at this long after its creation means the operator is not working. */
const UNSEEN_AFTER_MS = 60_000;

export const condition = (conditions: Condition[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type);

/**
 * The operator's health as its work shows it: the api has no line to the operator, but every Org
 * and task it reconciles carries its observedGeneration and status. Work left unobserved means
 * the operator is down or stuck.
 */
export function operatorHealth(orgs: Org[], tasks: AgentTask[], now = Date.now()): Health {
  const behind = orgs.filter((o) => (o.status?.observedGeneration ?? 0) < (o.metadata.generation ?? 1));
  const unseen = tasks.filter(
    (t) => !t.status?.phase && now - Date.parse(t.metadata.creationTimestamp ?? "") > UNSEEN_AFTER_MS,
  );
  if (unseen.length > 0) {
    return {
      tone: "bad",
      state: "Not reconciling",
      detail: `${unseen.length} task(s) created over a minute ago have no status: is the operator running?`,
    };
  }
  if (behind.length > 0) {
    return {
      tone: "warn",
      state: "Catching up",
      detail: `Not yet reconciled: ${behind.map((o) => o.metadata.name).join(", ")}`,
    };
  }
  if (orgs.length === 0) return { tone: "neutral", state: "Unknown", detail: "No Orgs to judge by yet." };
  return {
    tone: "ok",
    state: "Reconciling",
    detail: `All ${orgs.length} Org(s) observed at their latest generation.`,
  };
}

/** Whether the operator reaches the cluster that runs an Org's agents. */
export function clusterHealth(org: Org): Health {
  const cluster = org.status?.cluster ?? "local";
  const ready = condition(org.status?.conditions, "Ready");
  if (org.status?.clusterReachable === true) {
    return { tone: "ok", state: "Reachable", detail: cluster === "local" ? "management cluster" : cluster };
  }
  if (org.status?.clusterReachable === false) {
    return { tone: "bad", state: "Unreachable", detail: ready?.message || cluster };
  }
  return { tone: "neutral", state: "Unknown", detail: "The operator has not reported on it yet." };
}
