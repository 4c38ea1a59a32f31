import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  ANNOTATION_ATTEMPT,
  ANNOTATION_WARM_TEMPLATE,
  LABEL_WARM_MEMBER,
} from "../../schema/contract/index.ts";
import { org, task } from "../../schema/fixtures.test-support.ts";
import { BoundMembers, bindableMembers, bindsWarmMember, boundMemberOf } from "./warm-claim.ts";

function pod(
  name: string,
  extra: { template?: string; phase?: string; at?: string; attempt?: string } = {},
): V1Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: new Date(extra.at ?? "2026-12-05T11:00:00Z"),
      labels: { [LABEL_WARM_MEMBER]: name },
      annotations: {
        ...(extra.template !== undefined ? { [ANNOTATION_WARM_TEMPLATE]: extra.template } : {}),
        ...(extra.attempt ? { [ANNOTATION_ATTEMPT]: extra.attempt } : {}),
      },
    },
    status: { phase: extra.phase ?? "Running" },
  };
}

const pooled = (spec: Record<string, unknown> = {}) =>
  org({ agent: { workload: "Pod", allowImageOverride: true }, warmPool: { size: 2 }, ...spec });

describe("bindsWarmMember", () => {
  it("binds tasks of an Org with a pool, unless they chose their own image or resources", () => {
    expect(bindsWarmMember(task({ org: "acme" }), pooled())).toBe(true);
    expect(bindsWarmMember(task({ org: "acme", agent: { image: "mine:1" } }), pooled())).toBe(false);
    expect(
      bindsWarmMember(task({ org: "acme", agent: { resources: { limits: { memory: "8Gi" } } } }), pooled()),
    ).toBe(false);
    expect(bindsWarmMember(task({ org: "acme" }), org({ agent: { workload: "Pod" } }))).toBe(false);
    expect(bindsWarmMember(task({ org: "acme" }), pooled({ warmPool: { size: 0 } }))).toBe(false);
  });
});

describe("bindableMembers", () => {
  it("offers running members of the current template first, oldest first, and nothing stale or ended", () => {
    const members = [
      pod("starting", { template: "t1", phase: "Pending", at: "2026-12-05T10:00:00Z" }),
      pod("young", { template: "t1", at: "2026-12-05T11:30:00Z" }),
      pod("old", { template: "t1", at: "2026-12-05T10:30:00Z" }),
      pod("stale", { template: "t0" }),
      pod("ended", { template: "t1", phase: "Failed" }),
      pod("secretless", { template: "t1" }),
    ];
    const usable = (p: V1Pod) => p.metadata?.name !== "secretless";
    expect(bindableMembers(members, "t1", usable).map((p) => p.metadata?.name)).toEqual([
      "old",
      "young",
      "starting",
    ]);
  });
});

describe("boundMemberOf", () => {
  it("names the member bound for this attempt, not one of an earlier attempt or one that ended", () => {
    expect(boundMemberOf([pod("m", { attempt: "1" })], 1)).toBe("m");
    expect(boundMemberOf([pod("m", { attempt: "1" })], 2)).toBeUndefined();
    expect(boundMemberOf([pod("m", { attempt: "1", phase: "Failed" })], 1)).toBeUndefined();
  });
});

describe("BoundMembers", () => {
  it("stands for a bound member until the cache shows it, or for 30 s at most", () => {
    let now = 0;
    const bound = new BoundMembers(() => now);
    const m = pod("m");
    bound.remember("task", m);
    expect(bound.pending("task", [])).toBe(m);
    expect(bound.pending("task", [m])).toBeUndefined();
    expect(bound.pending("task", [])).toBeUndefined();
    bound.remember("task", m);
    now = 30_000;
    expect(bound.pending("task", [])).toBeUndefined();
  });
});

describe("BoundMembers.take", () => {
  it("gives a member to one bind of this process at a time, and none once it is bound", () => {
    const bound = new BoundMembers(() => 0);
    expect(bound.take("u1")).toBe(true);
    expect(bound.take("u1")).toBe(false);
    bound.release("u1");
    expect(bound.take("u1")).toBe(true);
    bound.release("u1");
    bound.remember("task", { metadata: { uid: "u1" } });
    expect(bound.take("u1")).toBe(false);
  });
});
