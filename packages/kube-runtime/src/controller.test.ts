import { describe, expect, it } from "vitest";
import { Controller, type PrimarySource } from "./controller.ts";
import type { InformerHandler } from "./informer.ts";
import type { EventType, Resource } from "./store.ts";

/** A source the test tells of changes itself. */
class Changes<T extends Resource> implements PrimarySource<T> {
  readonly resource = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
  private readonly handlers = new Set<InformerHandler<T>>();
  on(handler: InformerHandler<T>) {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  keys(): string[] {
    return [];
  }
  tell(type: EventType, obj: T, old?: T): void {
    for (const handler of this.handlers) handler(type, obj, old);
  }
}

const obj = (name: string, value: string): Resource & { data: { v: string } } => ({
  metadata: { name, namespace: "ns" },
  data: { v: value },
});

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("Controller.watches with a filter", () => {
  it("wakes keys only for the changes `when` accepts, and always for a deletion", async () => {
    const primary = new Changes<Resource>();
    const other = new Changes<Resource & { data: { v: string } }>();
    const reconciled: string[] = [];
    const controller = new Controller("filtered")
      .for(primary)
      .watches(other, () => ["ns/owner"], { when: (o, old) => o.data.v !== old?.data.v })
      .reconcile(async (key) => {
        reconciled.push(key);
        return undefined;
      });
    controller.start();
    try {
      other.tell("MODIFIED", obj("a", "1"), obj("a", "1"));
      // A change of the primary after it: once that is reconciled, the refused one would have been too.
      primary.tell("ADDED", obj("p", "1"));
      await until("the primary's reconcile", () => reconciled.length === 1);
      other.tell("MODIFIED", obj("a", "2"), obj("a", "1"));
      await until("the accepted change", () => reconciled.length === 2);
      other.tell("DELETED", obj("a", "2"));
      await until("the deletion", () => reconciled.length === 3);
      expect(reconciled).toEqual(["ns/p", "ns/owner", "ns/owner"]);
    } finally {
      await controller.stop();
    }
  });

  it("wakes a key once for a burst of changes within delayMs", async () => {
    const primary = new Changes<Resource>();
    const other = new Changes<Resource & { data: { v: string } }>();
    const reconciled: number[] = [];
    const controller = new Controller("delayed")
      .for(primary)
      .watches(other, () => ["ns/owner"], { delayMs: 200 })
      .reconcile(async () => {
        reconciled.push(Date.now());
        return undefined;
      });
    controller.start();
    try {
      const started = Date.now();
      for (let i = 0; i < 20; i++) other.tell("MODIFIED", obj("a", String(i + 1)), obj("a", String(i)));
      await until("the delayed reconcile", () => reconciled.length === 1);
      expect((reconciled[0] as number) - started).toBeGreaterThanOrEqual(190);
      // A change after the wake schedules the next one.
      other.tell("MODIFIED", obj("a", "x"), obj("a", "20"));
      await until("the second reconcile", () => reconciled.length === 2);
    } finally {
      await controller.stop();
    }
  });
});
