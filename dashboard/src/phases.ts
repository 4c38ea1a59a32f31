import type { AgentTask, TaskPhase } from "../../schema/index.ts";

export type Tone = "ok" | "bad" | "warn" | "info" | "neutral";

/**
 * Every phase, in lifecycle order, with its colour. A Record, so the compiler refuses a phase the
 * schema adds and this table lacks; the zod schema itself stays out of the browser bundle.
 */
const PHASES: Record<TaskPhase, { order: number; tone: Tone; final: boolean }> = {
  Pending: { order: 0, tone: "neutral", final: false },
  Queued: { order: 1, tone: "neutral", final: false },
  Starting: { order: 2, tone: "info", final: false },
  Running: { order: 3, tone: "info", final: false },
  Suspended: { order: 4, tone: "neutral", final: false },
  Succeeded: { order: 5, tone: "ok", final: true },
  Failed: { order: 6, tone: "bad", final: true },
  Cancelled: { order: 7, tone: "warn", final: true },
  TimedOut: { order: 8, tone: "bad", final: true },
};

export const PHASE_NAMES = (Object.keys(PHASES) as TaskPhase[]).sort(
  (a, b) => PHASES[a].order - PHASES[b].order,
);

/** A task the operator has not seen yet has no status: it is Pending, as the api counts it. */
export const phaseOf = (task: AgentTask): TaskPhase => task.status?.phase ?? "Pending";

export const toneOf = (phase: TaskPhase): Tone => PHASES[phase].tone;

export const isFinal = (phase: TaskPhase): boolean => PHASES[phase].final;

export function countByPhase(tasks: Iterable<AgentTask>): Record<TaskPhase, number> {
  const counts = Object.fromEntries(PHASE_NAMES.map((p) => [p, 0])) as Record<TaskPhase, number>;
  for (const task of tasks) counts[phaseOf(task)] += 1;
  return counts;
}
