import { z } from "zod";

/**
 * The lifecycle of an AgentTask. Succeeded, Failed, Cancelled and TimedOut are final; Suspended is a
 * started task held with no agent (spec.suspend), its workspace kept.
 */
export const TaskPhaseSchema = z.enum([
  "Pending",
  "Queued",
  "Starting",
  "Running",
  "Suspended",
  "Succeeded",
  "Failed",
  "Cancelled",
  "TimedOut",
]);
export type TaskPhase = z.infer<typeof TaskPhaseSchema>;
export const TASK_PHASES = TaskPhaseSchema.options;

const TERMINAL: ReadonlySet<TaskPhase> = new Set(["Succeeded", "Failed", "Cancelled", "TimedOut"]);

export function isTerminal(phase: TaskPhase): boolean {
  return TERMINAL.has(phase);
}

const count = (phase: TaskPhase) => z.int().min(0).describe(`Tasks in phase ${phase}.`);

/** How many of an Org's tasks are in each phase, keyed by the phase in lowerCamelCase. */
export const TaskCountsSchema = z.strictObject({
  pending: count("Pending"),
  queued: count("Queued"),
  starting: count("Starting"),
  running: count("Running"),
  suspended: count("Suspended"),
  succeeded: count("Succeeded"),
  failed: count("Failed"),
  cancelled: count("Cancelled"),
  timedOut: count("TimedOut"),
});
export type TaskCounts = z.infer<typeof TaskCountsSchema>;

export const PHASE_COUNT_KEY: Record<TaskPhase, keyof TaskCounts> = {
  Pending: "pending",
  Queued: "queued",
  Starting: "starting",
  Running: "running",
  Suspended: "suspended",
  Succeeded: "succeeded",
  Failed: "failed",
  Cancelled: "cancelled",
  TimedOut: "timedOut",
};
