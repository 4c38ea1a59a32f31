import { ANNOTATION_RESUMED_AT } from "../../schema/contract/labels.ts";
import { SUSPENDED, SUSPENDED_REASON } from "../../schema/contract/lifecycle.ts";
import type { AgentTask } from "../../schema/index.ts";

/** Each reason of the condition in words; a reason the operator adds later shows as it is. */
const REASONS: Record<string, string> = {
  [SUSPENDED_REASON.suspended]: "spec.suspend",
  [SUSPENDED_REASON.editorIdle]: "editor idle",
};

export interface Suspension {
  /** The condition's reason: Suspended (spec.suspend) or EditorIdle. */
  reason: string;
  /** The reason in words. */
  why: string;
  /** The operator's message: what is stopped and how it comes back. */
  message: string;
  /**
   * A resume was asked for since the task was suspended and the operator has not acted on it yet:
   * spec.suspend is false again, or the resumed-at annotation is no older than the suspension.
   */
  resuming: boolean;
}

/**
 * Whether a task's agent is held stopped, and why: a started task in phase Suspended, or a finished
 * one that keeps its phase with the condition Suspended True. Undefined for a task that runs.
 */
export function suspensionOf(task: AgentTask): Suspension | undefined {
  const status = task.status ?? {};
  const condition = status.conditions?.find((c) => c.type === SUSPENDED && c.status === "True");
  if (!condition && status.phase !== "Suspended") return undefined;
  const reason = condition?.reason ?? "Suspended";
  const since = Date.parse(status.suspendedAt ?? condition?.lastTransitionTime ?? "");
  const resumedAt = Date.parse(task.metadata.annotations?.[ANNOTATION_RESUMED_AT] ?? "");
  return {
    reason,
    why: REASONS[reason] ?? reason,
    message: condition?.message || status.message || "",
    resuming:
      reason === "Suspended" ? task.spec.suspend !== true : !Number.isNaN(resumedAt) && resumedAt >= since,
  };
}
