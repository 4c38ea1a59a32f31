import type { V1Pod } from "@kubernetes/client-node";
import { AGENT_CONTAINER } from "../../schema/contract/index.ts";
import type { AgentPodView } from "./task-decision.ts";

/** The agent pod as the lifecycle decision reads it: the agent container's health and why it waits. */
export function podView(pod: V1Pod | undefined): AgentPodView | undefined {
  if (!pod) return undefined;
  const agent = pod.status?.containerStatuses?.find((c) => c.name === AGENT_CONTAINER);
  const view: AgentPodView = { ready: agent?.ready ?? false, restarts: agent?.restartCount ?? 0 };
  if (pod.status?.phase) view.phase = pod.status.phase;
  // A restarted container is running again; its crash is in lastState.
  const terminated = agent?.lastState?.terminated ?? agent?.state?.terminated;
  if (terminated)
    view.terminated = {
      exitCode: terminated.exitCode,
      ...(terminated.reason ? { reason: terminated.reason } : {}),
    };
  const waiting = agent?.state?.waiting;
  if (waiting?.reason)
    view.waiting = { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) };
  // A pod no node can take says why in its PodScheduled condition (e.g. "Insufficient cpu").
  const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (!view.waiting && unscheduled?.reason) {
    view.waiting = {
      reason: unscheduled.reason,
      ...(unscheduled.message ? { message: unscheduled.message } : {}),
    };
  }
  return view;
}
