import type { AgentTaskStatus } from "../../schema/index.ts";
import type { EventRule } from "./status-change.ts";

/**
 * An Event on every phase change and on every new Ready reason within a phase (a retry, a stall);
 * a Warning when the task is stuck, failed, timed out or waiting to retry.
 */
export const taskStatusEvent: EventRule<AgentTaskStatus> = (before, next, conditions) => {
  const reason = conditions.find((c) => c.type === "Ready")?.reason;
  const previousReason = before?.conditions?.find((c) => c.type === "Ready")?.reason;
  if (before?.phase === next.phase && reason === previousReason) return undefined;
  const stalled = conditions.some((c) => c.type === "Stalled" && c.status === "True");
  const warning =
    stalled || next.phase === "Failed" || next.phase === "TimedOut" || reason === "RetryBackoff";
  return {
    type: warning ? "Warning" : "Normal",
    reason: reason ?? next.phase ?? "Pending",
    note: next.message ?? "",
  };
};
