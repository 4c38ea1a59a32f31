import type { KubernetesObject, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ANNOTATION_WARM_TEMPLATE, LABEL_COMPONENT, LABEL_WARM_MEMBER } from "../../schema/contract/index.ts";
import { ORPHAN_AFTER_MS, planWarmPool, warmPoolCounts } from "./warm-pool-plan.ts";

const NOW = new Date("2026-12-05T12:00:00Z");

function member(
  name: string,
  extra: { template?: string; phase?: string; bound?: boolean; deleting?: boolean; at?: string } = {},
): V1Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: "1",
      creationTimestamp: new Date(extra.at ?? "2026-12-05T11:00:00Z"),
      labels: { [LABEL_WARM_MEMBER]: name, [LABEL_COMPONENT]: extra.bound ? "agent" : "warm" },
      annotations: extra.bound ? {} : { [ANNOTATION_WARM_TEMPLATE]: extra.template ?? "t1" },
      ...(extra.deleting ? { deletionTimestamp: NOW } : {}),
    },
    status: { phase: extra.phase ?? "Running" },
  };
}

function made(name: string, ageMs: number, owned = false): KubernetesObject {
  return {
    kind: "ServiceAccount",
    metadata: {
      name,
      labels: { [LABEL_WARM_MEMBER]: name },
      creationTimestamp: new Date(NOW.getTime() - ageMs),
      ...(owned ? { ownerReferences: [{ apiVersion: "v1", kind: "Pod", name, uid: `uid-${name}` }] } : {}),
    },
  };
}

const deleted = (plan: ReturnType<typeof planWarmPool>) =>
  plan.delete.map((d) => `${d.pod.metadata?.name} ${d.why}`);

describe("planWarmPool", () => {
  it("fills an empty pool, and leaves a full one alone", () => {
    expect(planWarmPool(3, "t1", [], [], NOW)).toMatchObject({ create: 3, delete: [] });
    const full = [member("a"), member("b", { phase: "Pending" })];
    expect(planWarmPool(2, "t1", full, [], NOW)).toMatchObject({ create: 0, delete: [] });
  });

  it("counts bound members out: a bind is refilled", () => {
    const plan = planWarmPool(2, "t1", [member("a"), member("b", { bound: true })], [], NOW);
    expect(plan.create).toBe(1);
    expect(plan.delete).toEqual([]);
  });

  it("replaces idle members of another template and ended ones, never bound ones", () => {
    const pods = [
      member("old", { template: "t0" }),
      member("gone", { phase: "Failed" }),
      member("busy", { bound: true }),
      member("ok"),
    ];
    const plan = planWarmPool(2, "t1", pods, [], NOW);
    expect(deleted(plan)).toEqual(["old stale", "gone ended"]);
    expect(plan.create).toBe(1);
  });

  it("shrinks a pool by its starting members first, then its newest", () => {
    const pods = [
      member("new", { at: "2026-12-05T11:30:00Z" }),
      member("starting", { phase: "Pending", at: "2026-12-05T10:00:00Z" }),
      member("oldest", { at: "2026-12-05T10:00:00Z" }),
    ];
    expect(deleted(planWarmPool(1, "t1", pods, [], NOW))).toEqual(["new surplus", "starting surplus"]);
  });

  it("does not count a member being deleted, nor delete it again", () => {
    const plan = planWarmPool(1, "t1", [member("leaving", { deleting: true })], [], NOW);
    expect(plan).toMatchObject({ create: 1, delete: [] });
  });

  it("lets a member's pod own what was made before it, and deletes only old objects whose pod never came", () => {
    const pods = [member("a"), member("b", { bound: true })];
    const objects = [
      made("a", 1_000),
      made("b", ORPHAN_AFTER_MS * 2),
      made("young", 1_000),
      made("lost", ORPHAN_AFTER_MS),
      made("owned", ORPHAN_AFTER_MS * 2, true),
    ];
    const plan = planWarmPool(2, "t1", pods, objects, NOW);
    expect(plan.adopt.map((a) => `${a.obj.metadata?.name}<-${a.pod.metadata?.name}`)).toEqual([
      "a<-a",
      "b<-b",
    ]);
    expect(plan.orphans.map((o) => o.metadata?.name)).toEqual(["lost"]);
  });
});

describe("warmPoolCounts", () => {
  it("counts idle members of the current template, and those running", () => {
    const pods = [
      member("a"),
      member("b", { phase: "Pending" }),
      member("c", { template: "t0" }),
      member("d", { bound: true }),
      member("e", { deleting: true }),
    ];
    expect(warmPoolCounts("t1", pods)).toEqual({ members: 2, ready: 1 });
  });
});
