import type { V1ContainerStatus, V1Pod, V1PodCondition } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { podView } from "./pod-view.ts";

function pod(agent: Partial<V1ContainerStatus> | undefined, extra: Partial<V1Pod["status"]> = {}): V1Pod {
  const containerStatuses: V1ContainerStatus[] = [
    { name: "editor", image: "editor", imageID: "", ready: true, restartCount: 7 },
  ];
  if (agent)
    containerStatuses.push({
      name: "agent",
      image: "agent",
      imageID: "",
      ready: false,
      restartCount: 0,
      ...agent,
    });
  return { metadata: { name: "fix-bug-abc" }, status: { phase: "Running", containerStatuses, ...extra } };
}

const unschedulable: V1PodCondition = {
  type: "PodScheduled",
  status: "False",
  reason: "Unschedulable",
  message: "0/3 nodes are available: 3 Insufficient cpu.",
};

describe("podView", () => {
  it("sees no pod as no view", () => {
    expect(podView(undefined)).toBeUndefined();
  });

  it("reads the agent container's readiness and restarts, not the editor's", () => {
    expect(podView(pod({ ready: true, restartCount: 2 }))).toEqual({
      phase: "Running",
      ready: true,
      restarts: 2,
    });
  });

  it("reads a pod without an agent status yet as not ready, never restarted", () => {
    expect(podView({ status: { phase: "Pending" } })).toEqual({
      phase: "Pending",
      ready: false,
      restarts: 0,
    });
    expect(podView({})).toEqual({ ready: false, restarts: 0 });
  });

  it("takes the crash from lastState of a container that restarted", () => {
    const view = podView(
      pod({
        restartCount: 3,
        state: { running: { startedAt: new Date() } },
        lastState: { terminated: { exitCode: 2, reason: "Error" } },
      }),
    );
    expect(view?.terminated).toEqual({ exitCode: 2, reason: "Error" });
  });

  it("takes the termination from state when the container has not restarted", () => {
    const view = podView(pod({ state: { terminated: { exitCode: 0 } } }));
    expect(view?.terminated).toEqual({ exitCode: 0 });
  });

  it("prefers lastState over state when both hold a termination", () => {
    const view = podView(
      pod({
        state: { terminated: { exitCode: 0, reason: "Completed" } },
        lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } },
      }),
    );
    expect(view?.terminated).toEqual({ exitCode: 137, reason: "OOMKilled" });
  });

  it("says why the agent container waits", () => {
    const view = podView(
      pod({ state: { waiting: { reason: "ImagePullBackOff", message: 'pulling "agents/acme:1"' } } }),
    );
    expect(view?.waiting).toEqual({ reason: "ImagePullBackOff", message: 'pulling "agents/acme:1"' });
    expect(podView(pod({ state: { waiting: { reason: "ContainerCreating" } } }))?.waiting).toEqual({
      reason: "ContainerCreating",
    });
  });

  it("ignores a waiting state without a reason", () => {
    expect(podView(pod({ state: { waiting: { message: "no reason given" } } }))?.waiting).toBeUndefined();
  });

  it("says why no node takes an unschedulable pod", () => {
    const view = podView(pod(undefined, { phase: "Pending", conditions: [unschedulable] }));
    expect(view).toEqual({
      phase: "Pending",
      ready: false,
      restarts: 0,
      waiting: { reason: "Unschedulable", message: "0/3 nodes are available: 3 Insufficient cpu." },
    });
  });

  it("prefers the container's own waiting reason over the scheduler's", () => {
    const view = podView(
      pod({ state: { waiting: { reason: "CreateContainerConfigError" } } }, { conditions: [unschedulable] }),
    );
    expect(view?.waiting).toEqual({ reason: "CreateContainerConfigError" });
  });

  it("ignores a PodScheduled condition that is True", () => {
    const scheduled: V1PodCondition = { type: "PodScheduled", status: "True", reason: "Scheduled" };
    expect(podView(pod(undefined, { conditions: [scheduled] }))?.waiting).toBeUndefined();
  });
});
