import { describe, expect, it, vi } from "vitest";
import { Controller, type PrimarySource } from "./controller.ts";
import type { InformerHandler } from "./informer.ts";
import type { Resource } from "./store.ts";

/** A source that tells its handlers of the changes a test makes up: the controller only subscribes to it. */
function source(keys: string[] = []): PrimarySource<Resource> & { change(name: string): void } {
  const handlers = new Set<InformerHandler<Resource>>();
  return {
    resource: { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: false },
    keys: () => keys,
    on(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    change(name) {
      for (const handler of handlers) handler("MODIFIED", { metadata: { name } });
    },
  };
}

describe("a controller's watched sources", () => {
  it("reconciles a change at once, and a burst from a delayed source once, after the delay", async () => {
    const primary = source(["org"]);
    const tasks = source();
    const reconciled: string[] = [];
    const controller = new Controller("test", { resyncMs: 0 })
      .for(primary)
      .watches(tasks, () => ["org"], { delayMs: 300 })
      .reconcile(async (key) => {
        reconciled.push(key);
        return undefined;
      });
    controller.start();
    try {
      await vi.waitFor(() => expect(reconciled).toEqual(["org"]));
      // Apart, so that each would be a reconcile of its own if they were not delayed.
      for (let i = 0; i < 5; i++) {
        tasks.change(`task-${i}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(reconciled).toEqual(["org"]);
      await vi.waitFor(() => expect(reconciled).toEqual(["org", "org"]), { timeout: 2_000 });
      primary.change("org");
      await vi.waitFor(() => expect(reconciled).toEqual(["org", "org", "org"]), { timeout: 100 });
    } finally {
      await controller.stop();
    }
  });
});
