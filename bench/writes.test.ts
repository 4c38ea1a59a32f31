import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../devcluster/audit.ts";
import { controllerManagerWrites, countWrites, receivedAtUs, writeKinds, writerOf } from "./writes.ts";

const event = (overrides: Partial<AuditEvent>): AuditEvent => ({
  verb: "create",
  user: { username: "admin" },
  userAgent: "bench",
  objectRef: { resource: "configmaps", namespace: "a" },
  requestReceivedTimestamp: "2026-12-01T22:00:00.000001Z",
  ...overrides,
});

describe("writerOf", () => {
  it("tells the components apart by user agent or user", () => {
    expect(writerOf(event({ userAgent: "agentyard-operator (bench-1)" }))).toBe("operator");
    expect(
      writerOf(
        event({
          user: { username: "system:serviceaccount:kube-system:deployment-controller" },
          userAgent:
            "kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:deployment-controller",
        }),
      ),
    ).toBe("kube-controller-manager");
    expect(
      writerOf(event({ user: { username: "system:kube-scheduler" }, userAgent: "kube-scheduler/v1.36.3" })),
    ).toBe("kube-scheduler");
    expect(writerOf(event({ user: { username: "kwok" }, userAgent: "kwok/v0.8.0" }))).toBe("kwok");
    expect(writerOf(event({}))).toBe("client");
  });
});

describe("receivedAtUs", () => {
  it("keeps the microseconds of an audit timestamp", () => {
    expect(receivedAtUs(event({ requestReceivedTimestamp: "2026-12-01T22:00:00.123456Z" }))).toBe(
      Date.parse("2026-12-01T22:00:00Z") * 1000 + 123_456,
    );
    expect(receivedAtUs(event({ requestReceivedTimestamp: "2026-12-01T22:00:01Z" }))).toBe(
      Date.parse("2026-12-01T22:00:01Z") * 1000,
    );
  });
});

describe("countWrites", () => {
  const events = [
    event({}),
    event({ verb: "get" }),
    event({ verb: "update", objectRef: { resource: "leases", namespace: "a" } }),
    event({ verb: "patch", objectRef: { resource: "pods", namespace: "b" }, user: { username: "kwok" } }),
    event({ requestReceivedTimestamp: "2026-12-01T22:00:05.000000Z" }),
  ];

  it("counts writes per component, leaving out reads and Lease renewals", () => {
    expect(countWrites(events)).toMatchObject({ client: 2, kwok: 1, operator: 0 });
  });

  it("keeps only the namespaces and the time window asked for", () => {
    expect(countWrites(events, { namespaces: ["b"] })).toMatchObject({ client: 0, kwok: 1 });
    const at = Date.parse("2026-12-01T22:00:01Z");
    expect(countWrites(events, { sinceMs: at })).toMatchObject({ client: 1, kwok: 0 });
    expect(countWrites(events, { untilMs: at })).toMatchObject({ client: 1, kwok: 1 });
  });
});

describe("controllerManagerWrites", () => {
  it("counts the controller-manager's writes per controller", () => {
    const kcm = (controller: string) =>
      event({
        user: { username: `system:serviceaccount:kube-system:${controller}` },
        userAgent: `kube-controller-manager/v1.36.3 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:${controller}`,
      });
    const events = [
      kcm("deployment-controller"),
      kcm("replicaset-controller"),
      kcm("replicaset-controller"),
      event({}),
    ];
    expect(controllerManagerWrites(events)).toEqual({
      "deployment-controller": 1,
      "replicaset-controller": 2,
    });
  });
});

describe("writeKinds", () => {
  it("groups writes by verb and resource, subresource included", () => {
    const events = [
      event({ verb: "patch", objectRef: { resource: "agenttasks", subresource: "status" } }),
      event({ verb: "patch", objectRef: { resource: "agenttasks", subresource: "status" } }),
      event({ verb: "create", objectRef: { resource: "events" } }),
      event({ verb: "update", objectRef: { resource: "leases" } }),
      event({ verb: "get" }),
    ];
    expect(writeKinds(events)).toEqual({ "patch agenttasks/status": 2, "create events": 1 });
  });
});
