import type { V1Pod } from "@kubernetes/client-node";
import { ANNOTATION_ATTEMPT, ANNOTATION_RESUMED_AT, parseAgentState } from "../../schema/contract/index.ts";
import { type AgentTask, type Org, parseDuration } from "../../schema/index.ts";
import type { TaskRenderOptions } from "../render/task.ts";
import { podView } from "./pod-view.ts";
import type { TaskWorld } from "./task-decision.ts";

/** What the informer caches hold of one task's children, read once at the start of a reconcile. */
export interface TaskObservation {
  /** The pod that speaks for the current attempt. */
  pod?: V1Pod;
  /** The agent's state ConfigMap's data. */
  state?: Record<string, string>;
  /** The editor password as the live Secret holds it, base64-encoded. */
  editorPassword?: string;
  /** What of the task's workspace claim cannot change once it exists. */
  workspaceClaim?: TaskRenderOptions["workspaceClaim"];
}

/**
 * The newest pod of the attempt, leaving out pods on their way out: a pod of an earlier attempt, one
 * being replaced, or one the cluster ended (evicted; with restartPolicy Always nothing else ends a
 * pod) says nothing of the attempt that runs now, which goes on in the pod that replaces it.
 */
export function currentPod(pods: V1Pod[], attempt: number): V1Pod | undefined {
  return pods
    .filter(
      (p) =>
        p.metadata?.annotations?.[ANNOTATION_ATTEMPT] === String(attempt) &&
        !p.metadata?.deletionTimestamp &&
        p.status?.phase !== "Failed" &&
        p.status?.phase !== "Succeeded",
    )
    .sort((a, b) =>
      String(b.metadata?.creationTimestamp ?? "").localeCompare(String(a.metadata?.creationTimestamp ?? "")),
    )[0];
}

/** The lifecycle decision's input: what was observed, as decideTask reads it. */
export function taskWorld(
  task: AgentTask,
  org: Org,
  observed: TaskObservation,
  now: Date,
  admit: TaskWorld["admit"],
): TaskWorld {
  const idle = org.spec.editor.idleTimeout;
  const resumedAt = Date.parse(task.metadata.annotations?.[ANNOTATION_RESUMED_AT] ?? "");
  return {
    task,
    now,
    admit,
    pod: podView(observed.pod),
    state: parseAgentState(observed.state, task.status?.attempts ?? 0),
    ...(idle ? { editorIdleTimeoutMs: parseDuration(idle) } : {}),
    // A request to resume that is not a time is no request (tenants write annotations).
    ...(Number.isNaN(resumedAt) ? {} : { resumedAt: new Date(Math.min(resumedAt, now.getTime())) }),
    ...(org.spec.git?.pullRequests.failTaskOnError ? { pullRequestErrorFails: true } : {}),
  };
}
