import type { V1Pod } from "@kubernetes/client-node";
import { TAILNET_READY, TAILSCALE_CONTAINER } from "../../schema/contract/index.ts";
import type { ConditionInput } from "./conditions.ts";

/**
 * Whether a sidecar-mode task's editor is on the tailnet, read from its tailscale container: ready
 * once containerboot's health check sees a tailnet address. A key the control server refuses makes
 * the container exit and restart; the task goes on (its agent does not need the tailnet) and this
 * condition says where to look.
 */
/**
 * A task whose editor no longer joins the tailnet itself (its Org left mode sidecar or turned the
 * editor off, or its agents were removed) says so, rather than keep what its last sidecar earned.
 */
export function noTailnetCondition(): ConditionInput {
  return {
    type: TAILNET_READY,
    status: "False",
    reason: "NoSidecar",
    message:
      "the task's editor runs no tailscale container: its Org's mesh mode is not sidecar, its editor is off, or the task has no agent any more",
  };
}

export function tailnetCondition(pod: V1Pod | undefined, fqdn: string): ConditionInput {
  const condition = (status: "True" | "False", reason: string, message: string): ConditionInput => ({
    type: TAILNET_READY,
    status,
    reason,
    message,
  });
  if (!pod)
    return condition("False", "NoPod", "the agent pod does not run: the editor is not on the tailnet");
  const container = pod.status?.containerStatuses?.find((c) => c.name === TAILSCALE_CONTAINER);
  if (container?.ready) return condition("True", "Joined", `the editor is on the tailnet as ${fqdn}`);
  const restarts = container?.restartCount ?? 0;
  const exited = container?.lastState?.terminated ?? container?.state?.terminated;
  if (restarts > 0 || exited) {
    const how = exited
      ? `exit code ${exited.exitCode}${exited.reason ? `, ${exited.reason}` : ""}`
      : "no exit recorded";
    return condition(
      "False",
      "JoinFailed",
      `the tailscale container did not join the tailnet (${restarts} restarts, last ${how}): check the key in the Org's spec.mesh.authKeySecretRef (reusable, not expired, allowed its tags) and spec.mesh.loginServer; kubectl logs -n ${pod.metadata?.namespace} ${pod.metadata?.name} -c ${TAILSCALE_CONTAINER} --previous says why`,
    );
  }
  const waiting = container?.state?.waiting;
  if (waiting?.reason) {
    return condition(
      "False",
      "Starting",
      `the tailscale container waits: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`,
    );
  }
  return condition("False", "Joining", `joining the tailnet as ${fqdn}`);
}
