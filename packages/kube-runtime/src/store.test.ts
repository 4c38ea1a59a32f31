import { describe, expect, it } from "vitest";
import { byLabel, byOwnerUid, objectKey, type Resource, Store, splitKey } from "./store.ts";

function cm(name: string, rv: string, extra: Partial<NonNullable<Resource["metadata"]>> = {}): Resource {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "ns", resourceVersion: rv, ...extra },
  };
}

describe("keys", () => {
  it("are namespace/name, or the name alone for cluster-scoped objects", () => {
    expect(objectKey(cm("a", "1"))).toBe("ns/a");
    expect(objectKey({ metadata: { name: "acme" } })).toBe("acme");
    expect(splitKey("ns/a")).toEqual({ namespace: "ns", name: "a" });
    expect(splitKey("acme")).toEqual({ namespace: undefined, name: "acme" });
  });
});

describe("Store", () => {
  it("turns watch events into changes, with the old object on a modification", () => {
    const store = new Store();
    expect(store.apply("ADDED", cm("a", "1"))?.type).toBe("ADDED");
    const modified = store.apply("MODIFIED", cm("a", "2"));
    expect(modified?.type).toBe("MODIFIED");
    expect(modified?.old?.metadata?.resourceVersion).toBe("1");
    expect(store.apply("DELETED", cm("a", "3"))?.type).toBe("DELETED");
    expect(store.apply("DELETED", cm("a", "3"))).toBeUndefined();
    expect(store.keys()).toEqual([]);
  });

  it("reports what a relist changed, deletes included, and nothing for unchanged objects", () => {
    const store = new Store();
    store.replace([cm("keep", "1"), cm("change", "1"), cm("gone", "1")]);
    const changes = store.replace([cm("keep", "1"), cm("change", "2"), cm("new", "5")]);
    expect(changes.map((c) => [c.type, c.obj.metadata?.name])).toEqual([
      ["MODIFIED", "change"],
      ["ADDED", "new"],
      ["DELETED", "gone"],
    ]);
    expect(store.keys().sort()).toEqual(["ns/change", "ns/keep", "ns/new"]);
  });

  it("keeps indexes current as objects change and leave", () => {
    const store = new Store({ org: byLabel("agentyard.dev/org"), owner: byOwnerUid() });
    const owned = (name: string, org: string, rv: string) =>
      cm(name, rv, {
        labels: { "agentyard.dev/org": org },
        ownerReferences: [{ apiVersion: "v1", kind: "Thing", name: "t", uid: "u1" }],
      });
    store.apply("ADDED", owned("a", "acme", "1"));
    store.apply("ADDED", owned("b", "acme", "1"));
    store.apply("MODIFIED", owned("b", "globex", "2"));
    expect(store.byIndex("org", "acme").map(objectKey)).toEqual(["ns/a"]);
    expect(store.byIndex("org", "globex").map(objectKey)).toEqual(["ns/b"]);
    expect(store.byIndex("owner", "u1")).toHaveLength(2);
    expect(store.byIndex("namespace", "ns")).toHaveLength(2);
    store.apply("DELETED", owned("a", "acme", "3"));
    expect(store.byIndex("org", "acme")).toEqual([]);
    expect(() => store.byIndex("nope", "x")).toThrow(/no index named nope/);
  });

  it("freezes cached objects so nobody edits what others read", () => {
    const store = new Store();
    store.apply("ADDED", cm("a", "1", { labels: { x: "1" } }));
    const cached = store.get("ns/a") as Resource;
    expect(() => {
      (cached.metadata?.labels as Record<string, string>).x = "2";
    }).toThrow(TypeError);
  });
});

describe("Store.addIndexer", () => {
  const obj = (name: string, team: string) => ({ metadata: { name, namespace: "ns", labels: { team } } });

  it("indexes what the store holds already, and what comes after", () => {
    const store = new Store();
    store.apply("ADDED", obj("a", "red"));
    const team = byLabel("team");
    store.addIndexer("team", team);
    store.apply("ADDED", obj("b", "red"));
    expect(store.byIndex("team", "red").map((o) => o.metadata?.name)).toEqual(["a", "b"]);
    store.addIndexer("team", team);
    expect(() => store.addIndexer("team", byLabel("other"))).toThrow(/another indexer/);
  });
});
