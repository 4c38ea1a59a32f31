import { isDeepStrictEqual } from "node:util";
import type { Org } from "../schema/index.ts";

/**
 * Whether a change of an Org concerns its tasks. The Org reconciler rewrites status.tasks (the
 * counts by phase) as its tasks move; that alone changes nothing a task reconcile reads, and waking
 * every task of the Org on each such write would cost a reconcile per task per task that moved.
 * Any other change does wake them: spec, labels, annotations, deletion, conditions.
 */
export function orgChangeConcernsTasks(org: Org, old: Org | undefined): boolean {
  return old === undefined || !isDeepStrictEqual(withoutCounts(org), withoutCounts(old));
}

function withoutCounts(org: Org) {
  const { resourceVersion: _, ...metadata } = org.metadata;
  const { tasks: __, ...status } = org.status ?? {};
  return { metadata, spec: org.spec, status };
}
