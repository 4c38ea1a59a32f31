import { describe, expect, it } from "vitest";
import { toTaskEvent } from "./task-events.ts";

describe("a task's Event as the api answers it", () => {
  it("reads an events.k8s.io Event's series, times and reporting component", () => {
    expect(
      toTaskEvent({
        type: "Warning",
        reason: "Failed",
        action: "Reconcile",
        message: "the agent exited 1",
        eventTime: "2026-11-24T12:00:01.000000Z",
        series: { count: 3, lastObservedTime: "2026-11-24T12:00:09.000000Z" },
        reportingComponent: "agentyard.dev/operator",
        firstTimestamp: null,
        lastTimestamp: null,
      }),
    ).toEqual({
      type: "Warning",
      reason: "Failed",
      action: "Reconcile",
      message: "the agent exited 1",
      count: 3,
      firstTime: "2026-11-24T12:00:01.000000Z",
      lastTime: "2026-11-24T12:00:09.000000Z",
      source: "agentyard.dev/operator",
    });
  });

  it("reads a core/v1 Event's timestamps, count and source", () => {
    expect(
      toTaskEvent({
        reason: "Running",
        message: "m",
        count: 2,
        firstTimestamp: "2026-11-24T12:00:01Z",
        lastTimestamp: "2026-11-24T12:00:05Z",
        source: { component: "kubelet" },
      }),
    ).toEqual({
      type: "Normal",
      reason: "Running",
      message: "m",
      count: 2,
      firstTime: "2026-11-24T12:00:01Z",
      lastTime: "2026-11-24T12:00:05Z",
      source: "kubelet",
    });
  });

  it("counts an Event without count or series once, and lasts as long as it started", () => {
    expect(toTaskEvent({ eventTime: "2026-11-24T12:00:01Z" })).toEqual({
      type: "Normal",
      reason: "",
      message: "",
      count: 1,
      firstTime: "2026-11-24T12:00:01Z",
      lastTime: "2026-11-24T12:00:01Z",
    });
  });
});
