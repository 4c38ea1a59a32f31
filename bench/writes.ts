import { type AuditEvent, isWrite } from "../devcluster/audit.ts";
import { OPERATOR_IDENTITY } from "../operator/identity.ts";

/** Who made a write: the components a benchmark table tells apart. */
export const WRITERS = ["operator", "kube-controller-manager", "kube-scheduler", "kwok", "client"] as const;
export type Writer = (typeof WRITERS)[number];
export type WriteCounts = Record<Writer, number>;

/**
 * The component behind an audit event. The controller-manager acts with one ServiceAccount per
 * controller (--use-service-account-credentials), so it is told by its user agent, which it keeps.
 */
export function writerOf(event: AuditEvent): Writer {
  const agent = event.userAgent ?? "";
  const user = event.user?.username ?? "";
  if (agent.startsWith(OPERATOR_IDENTITY.userAgent)) return "operator";
  if (agent.startsWith("kube-controller-manager/") || user === "system:kube-controller-manager") {
    return "kube-controller-manager";
  }
  if (agent.startsWith("kube-scheduler/") || user === "system:kube-scheduler") return "kube-scheduler";
  if (user === "kwok") return "kwok";
  return "client";
}

/** Microseconds since the epoch of an audit timestamp (metav1.MicroTime). */
export function receivedAtUs(event: AuditEvent): number {
  const stamp = event.requestReceivedTimestamp ?? "";
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(stamp);
  if (!match) return Number.NaN;
  return Date.parse(`${match[1]}Z`) * 1000 + Number((match[2] ?? "").padEnd(6, "0"));
}

export interface WriteFilter {
  /** Only writes to objects in these namespaces (cluster-scoped objects have none). */
  namespaces?: readonly string[];
  /** Only writes received at or after this wall-clock time (ms since the epoch). */
  sinceMs?: number;
  untilMs?: number;
}

/**
 * Writes per component, Lease renewals left out: leader election renews whether or not there is
 * work, so they say nothing about the cost of a task.
 */
export function countWrites(events: readonly AuditEvent[], filter: WriteFilter = {}): WriteCounts {
  const counts = Object.fromEntries(WRITERS.map((w) => [w, 0])) as WriteCounts;
  for (const event of events) {
    if (!isWrite(event) || event.objectRef?.resource === "leases") continue;
    if (filter.namespaces && !filter.namespaces.includes(event.objectRef?.namespace ?? "")) continue;
    const at = receivedAtUs(event);
    if (filter.sinceMs !== undefined && !(at >= filter.sinceMs * 1000)) continue;
    if (filter.untilMs !== undefined && !(at <= filter.untilMs * 1000)) continue;
    counts[writerOf(event)]++;
  }
  return counts;
}

/**
 * The controller-manager's writes per controller: each controller has a client (and a client-side
 * rate limit, 20 requests/s by default) of its own, named at the end of its user agent.
 */
export function controllerManagerWrites(
  events: readonly AuditEvent[],
  filter: WriteFilter = {},
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    if (writerOf(event) !== "kube-controller-manager") continue;
    if (countWrites([event], filter)["kube-controller-manager"] === 0) continue;
    const controller = (event.user?.username ?? "").replace(/^system:serviceaccount:kube-system:/, "");
    counts[controller] = (counts[controller] ?? 0) + 1;
  }
  return counts;
}

/** Writes by verb and resource ("patch agenttasks/status"), Leases left out: what a count is made of. */
export function writeKinds(events: readonly AuditEvent[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const e of events) {
    if (!isWrite(e) || e.objectRef?.resource === "leases") continue;
    const sub = e.objectRef?.subresource ? `/${e.objectRef.subresource}` : "";
    const kind = `${e.verb} ${e.objectRef?.resource ?? "?"}${sub}`;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}
