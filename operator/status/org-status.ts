import type { OrgStatus } from "../../schema/index.ts";
import type { EventRule } from "./status-change.ts";

/** An Event when the Org's readiness or its reason changes: Normal when it became ready, else a Warning. */
export const orgStatusEvent: EventRule<OrgStatus> = (before, _next, conditions) => {
  const ready = conditions.find((c) => c.type === "Ready");
  const previous = before?.conditions?.find((c) => c.type === "Ready");
  if (!ready || (ready.status === previous?.status && ready.reason === previous?.reason)) return undefined;
  return { type: ready.status === "True" ? "Normal" : "Warning", reason: ready.reason, note: ready.message };
};
