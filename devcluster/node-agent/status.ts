import { isDeepStrictEqual } from "node:util";
import type { ContainerStatus, Pod, PodCondition, PodStatus } from "./types.ts";

export const LOCAL_IP = "127.0.0.1";

/** A time as the API server stores it (whole seconds), so that what we write compares equal when read back. */
export function timestamp(ms: number = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** The pod's phase from its containers, as the kubelet decides it (no init containers here). */
export function podPhase(pod: Pod, statuses: ContainerStatus[]): string {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if ("running" in s.state) running++;
    else if ("terminated" in s.state) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if ("terminated" in s.lastState) stopped++;
    else waiting++;
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped === 0) return "Pending";
  const policy = pod.spec.restartPolicy ?? "Always";
  // Containers that will be started again keep the pod Running between their runs.
  if (policy === "Always" || (policy === "OnFailure" && succeeded < stopped)) return "Running";
  return succeeded === stopped ? "Succeeded" : "Failed";
}

/** A condition, keeping the time of the last transition the API server already has. */
function condition(
  pod: Pod,
  now: string,
  type: string,
  ok: boolean,
  reason?: string,
  message?: string,
): PodCondition {
  const status = ok ? "True" : "False";
  const current = pod.status?.conditions?.find((c) => c.type === type);
  const c: PodCondition = {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime:
      current?.status === status && current.lastTransitionTime ? current.lastTransitionTime : now,
  };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** The status a kubelet would report for these container statuses. */
export function podStatus(pod: Pod, statuses: ContainerStatus[], startTime: string, now: string): PodStatus {
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const why = unready.length ? `containers with unready status: [${unready.join(" ")}]` : undefined;
  const reason = unready.length ? "ContainersNotReady" : undefined;
  return {
    phase: podPhase(pod, statuses),
    conditions: [
      condition(pod, now, "PodReadyToStartContainers", true),
      condition(pod, now, "Initialized", true),
      condition(pod, now, "ContainersReady", !reason, reason, why),
      condition(pod, now, "Ready", !reason, reason, why),
    ],
    containerStatuses: statuses,
    hostIP: LOCAL_IP,
    hostIPs: [{ ip: LOCAL_IP }],
    podIP: LOCAL_IP,
    podIPs: [{ ip: LOCAL_IP }],
    startTime,
  };
}

/** A pod the node will not run: Failed with the rejection's reason and message, and nothing started. */
export function rejectedStatus(rejection: { reason: string; message: string }, startTime: string): PodStatus {
  return {
    phase: "Failed",
    reason: rejection.reason,
    message: rejection.message,
    hostIP: LOCAL_IP,
    hostIPs: [{ ip: LOCAL_IP }],
    startTime,
  };
}

/**
 * Whether the API server already has this status: every field we set equal, and our conditions
 * (the scheduler's PodScheduled is not ours to compare).
 */
export function statusCurrent(current: PodStatus | undefined, desired: PodStatus): boolean {
  if (!current) return false;
  for (const [key, value] of Object.entries(desired)) {
    if (key === "conditions") continue;
    if (!isDeepStrictEqual(value, current[key as keyof PodStatus])) return false;
  }
  return (desired.conditions ?? []).every((want) =>
    isDeepStrictEqual(
      want,
      current.conditions?.find((c) => c.type === want.type),
    ),
  );
}

/**
 * The body of a strategic merge patch of pods/status: conditions merge by type, field by field, so a
 * reason or message a condition no longer has must be deleted explicitly (null), or a Ready "True"
 * would keep the "ContainersNotReady" of its False days.
 */
export function statusPatch(uid: string, status: PodStatus) {
  const conditions = status.conditions?.map((c) => ({ reason: null, message: null, ...c }));
  // The uid is a precondition: a patch meant for an earlier pod of the same name fails.
  return { metadata: { uid }, status: { ...status, conditions } };
}
