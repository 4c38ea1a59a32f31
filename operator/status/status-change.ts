import type { Condition } from "../../schema/index.ts";
import { type ConditionInput, mergeConditions } from "./conditions.ts";
import { sameStatus } from "./status-equal.ts";

/** What a reconcile found an object's status to be, and when to look at the object again. */
export interface StatusReport<S> {
  status: S;
  conditions: ConditionInput[];
  requeueAfterMs?: number;
}

/** An Event that tells people of a status change; its action is always the reconcile. */
export interface StatusEvent {
  type: "Normal" | "Warning";
  reason: string;
  note: string;
}

/** Each kind's rule for which status changes deserve an Event, and what it says. */
export type EventRule<S> = (
  before: S | undefined,
  next: S,
  conditions: ConditionInput[],
) => StatusEvent | undefined;

/** The status fields every kind shares: kstatus conditions and the generation they describe. */
export interface ReportedStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface Reported<S extends ReportedStatus> {
  metadata: { generation?: number };
  status?: S;
}

export interface StatusChange<S> {
  status: S;
  event?: StatusEvent;
}

/**
 * The status to write and the Event to emit, or undefined when the report says what the object's
 * status already says: an unchanged world writes nothing.
 */
export function statusChange<S extends ReportedStatus>(
  obj: Reported<S>,
  report: StatusReport<S>,
  eventFor: EventRule<S>,
  now: Date,
): StatusChange<S> | undefined {
  const generation = obj.metadata.generation;
  const next: S = {
    ...report.status,
    observedGeneration: generation ?? 0,
    conditions: mergeConditions(obj.status?.conditions, report.conditions, generation, now),
  };
  if (sameStatus(obj.status, next)) return undefined;
  const event = eventFor(obj.status, next, report.conditions);
  return event ? { status: next, event } : { status: next };
}
