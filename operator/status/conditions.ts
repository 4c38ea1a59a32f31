import { rfc3339 } from "@agentyard/kube-runtime";
import type { Condition, ConditionStatus } from "../../schema/index.ts";

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * The new condition list: each input replaces the condition of its type, keeping lastTransitionTime
 * when the status did not change (so an unchanged world writes an unchanged status).
 */
export function mergeConditions(
  current: Condition[] | undefined,
  inputs: ConditionInput[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  const byType = new Map((current ?? []).map((c) => [c.type, c]));
  for (const input of inputs) {
    const previous = byType.get(input.type);
    const lastTransitionTime =
      previous && previous.status === input.status ? previous.lastTransitionTime : rfc3339(now);
    byType.set(input.type, {
      type: input.type,
      status: input.status,
      observedGeneration: generation ?? 0,
      lastTransitionTime,
      reason: input.reason,
      message: input.message.slice(0, 32768),
    });
  }
  return [...byType.values()];
}

/**
 * The three kstatus conditions for one of three states: ready, still working, or stuck. kstatus
 * reads Reconciling=True as InProgress and Stalled=True as Failed, and Ready=True as Current.
 */
export function kstatus(
  state: "Ready" | "Reconciling" | "Stalled",
  reason: string,
  message: string,
  readyStatus: ConditionStatus = state === "Ready" ? "True" : "False",
): ConditionInput[] {
  return [
    { type: "Ready", status: readyStatus, reason, message },
    {
      type: "Reconciling",
      status: state === "Reconciling" ? "True" : "False",
      reason,
      message: state === "Reconciling" ? message : "",
    },
    {
      type: "Stalled",
      status: state === "Stalled" ? "True" : "False",
      reason,
      message: state === "Stalled" ? message : "",
    },
  ];
}
