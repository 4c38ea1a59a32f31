import type { KubernetesObject, V1Pod } from "@kubernetes/client-node";
import {
  ANNOTATION_WARM_TEMPLATE,
  COMPONENT,
  LABEL_COMPONENT,
  LABEL_WARM_MEMBER,
} from "../../schema/contract/index.ts";

/**
 * How long a member's ServiceAccount or Secret may wait for its pod: they are made just before it,
 * and only a process that stopped between the two leaves them without one.
 */
export const ORPHAN_AFTER_MS = 120_000;

export interface WarmPoolPlan {
  /** How many members to make. */
  create: number;
  /** Idle members to delete, each as the cache showed it (the delete is conditioned on its version). */
  delete: { pod: V1Pod; why: "stale" | "ended" | "surplus" }[];
  /** A member's objects whose pod never came. */
  orphans: KubernetesObject[];
  /** A member's objects made before its pod that it does not own yet, with the pod to own them. */
  adopt: { obj: KubernetesObject; pod: V1Pod }[];
}

const ended = (pod: V1Pod) => pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded";
const running = (pod: V1Pod) => pod.status?.phase === "Running";
const created = (o: KubernetesObject) => Date.parse(String(o.metadata?.creationTimestamp ?? ""));

/**
 * What keeps the pool at `size` members of the template `template`, kept pure. `pods` are the
 * Org's member pods, idle and bound, as the cache holds them; `made` the objects made for members before their
 * pods (ServiceAccounts, Secrets). A member of another template, or one the cluster ended, is
 * deleted and replaced; a surplus deletes those still starting first, then the newest.
 */
export function planWarmPool(
  size: number,
  template: string,
  pods: V1Pod[],
  made: KubernetesObject[],
  now: Date,
): WarmPoolPlan {
  const members = pods.filter(idle);
  const live = members.filter((p) => !p.metadata?.deletionTimestamp);
  const plan: WarmPoolPlan = { create: 0, delete: [], orphans: [], adopt: [] };
  const fresh: V1Pod[] = [];
  for (const pod of live) {
    if (ended(pod)) plan.delete.push({ pod, why: "ended" });
    else if (pod.metadata?.annotations?.[ANNOTATION_WARM_TEMPLATE] !== template)
      plan.delete.push({ pod, why: "stale" });
    else fresh.push(pod);
  }
  const keep = fresh.sort((a, b) => Number(running(b)) - Number(running(a)) || created(a) - created(b));
  for (const pod of keep.slice(size)) plan.delete.push({ pod, why: "surplus" });
  plan.create = Math.max(0, size - keep.length);
  const podOf = new Map(pods.map((p) => [p.metadata?.labels?.[LABEL_WARM_MEMBER], p]));
  for (const obj of made) {
    if ((obj.metadata?.ownerReferences ?? []).length > 0) continue;
    const pod = podOf.get(obj.metadata?.labels?.[LABEL_WARM_MEMBER]);
    if (pod) plan.adopt.push({ obj, pod });
    else if (now.getTime() - created(obj) >= ORPHAN_AFTER_MS) plan.orphans.push(obj);
  }
  return plan;
}

/** A member no task has bound: a bound one carries its task's component. */
export const idle = (pod: V1Pod): boolean => pod.metadata?.labels?.[LABEL_COMPONENT] === COMPONENT.warm;

/** The pool's counts for the Org's status: idle members of the current template, and those running. */
export function warmPoolCounts(template: string, pods: V1Pod[]): { members: number; ready: number } {
  const current = pods.filter(
    (p) =>
      idle(p) &&
      !p.metadata?.deletionTimestamp &&
      !ended(p) &&
      p.metadata?.annotations?.[ANNOTATION_WARM_TEMPLATE] === template,
  );
  return { members: current.length, ready: current.filter(running).length };
}
