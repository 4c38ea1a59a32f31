import { describe, expect, it } from "vitest";
import { org as makeOrg, task as makeTask } from "../schema/fixtures.test-support.ts";
import type { AgentTask } from "../schema/index.ts";
import { QuotaGate } from "./quota.ts";

function t(
  name: string,
  created: string,
  status?: AgentTask["status"],
  orgName = "acme",
  namespace = `org-${orgName}`,
): AgentTask {
  const task = makeTask({ org: orgName }, name);
  task.metadata.namespace = namespace;
  task.metadata.uid = `uid-${name}`;
  task.metadata.creationTimestamp = created;
  if (status) task.status = status;
  return task;
}

function gate(tasks: AgentTask[]) {
  return new QuotaGate({ byIndex: (_i, value) => tasks.filter((x) => x.spec.org === value) });
}

describe("QuotaGate", () => {
  const org = makeOrg({ limits: { maxConcurrentTasks: 2 } });

  it("admits the oldest waiting tasks up to the limit", () => {
    const tasks = [
      t("c", "2026-01-03T00:00:00Z"),
      t("a", "2026-01-01T00:00:00Z"),
      t("b", "2026-01-02T00:00:00Z"),
    ];
    const g = gate(tasks);
    expect(g.admit(tasks[0] as AgentTask, org)).toMatchObject({ admitted: false });
    expect(g.admit(tasks[1] as AgentTask, org).admitted).toBe(true);
    expect(g.admit(tasks[2] as AgentTask, org).admitted).toBe(true);
    expect(g.admit(tasks[0] as AgentTask, org)).toEqual({
      admitted: false,
      message: "waiting for a free slot: 2 of 2 tasks of Org acme are running",
    });
  });

  it("counts running tasks and frees the slot of a finished one", () => {
    const running = t("r", "2026-01-01T00:00:00Z", { phase: "Running", attempts: 1 });
    const waiting = t("w", "2026-01-02T00:00:00Z");
    const tasks = [running, t("r2", "2026-01-01T00:00:00Z", { phase: "Starting", attempts: 1 }), waiting];
    const g = gate(tasks);
    expect(g.admit(waiting, org).admitted).toBe(false);
    running.status = { phase: "Succeeded", attempts: 1 };
    expect(g.admit(waiting, org).admitted).toBe(true);
  });

  it("keeps each Org's queue to itself", () => {
    const busy = [1, 2, 3].map((i) =>
      t(`b${i}`, `2026-01-0${i}T00:00:00Z`, { phase: "Running", attempts: 1 }, "busy"),
    );
    const other = t("o", "2026-01-05T00:00:00Z", undefined, "other");
    const g = gate([...busy, other]);
    expect(g.admit(other, makeOrg({ limits: { maxConcurrentTasks: 1 } }, "other")).admitted).toBe(true);
  });

  it("never counts or queues a task outside the Org's namespace that names the Org", () => {
    const one = makeOrg({ limits: { maxConcurrentTasks: 1 } });
    const squatters = [1, 2, 3, 4, 5].map((i) =>
      t(`s${i}`, `2026-01-0${i}T00:00:00Z`, undefined, "acme", "org-mallory"),
    );
    const runningElsewhere = t("r", "2026-01-01T00:00:00Z", { phase: "Running", attempts: 1 }, "acme", "x");
    const own = t("own", "2026-01-09T00:00:00Z");
    const g = gate([...squatters, runningElsewhere, own]);
    expect(g.admit(own, one).admitted).toBe(true);
  });

  it("admits the same task again until its status shows it started", () => {
    const a = t("a", "2026-01-01T00:00:00Z");
    const g = gate([a]);
    const one = makeOrg({ limits: { maxConcurrentTasks: 1 } });
    expect(g.admit(a, one).admitted).toBe(true);
    expect(g.admit(a, one).admitted).toBe(true);
  });

  it("lists the waiting tasks of an Org", () => {
    const tasks = [
      t("a", "2026-01-01T00:00:00Z"),
      t("b", "2026-01-01T00:00:00Z", { phase: "Running", attempts: 1 }),
    ];
    expect(gate(tasks).waitingKeys("acme")).toEqual(["org-acme/a"]);
  });
});
