import {
  type ClusterClient,
  Controller,
  clientFromKubeconfigFile,
  Informer,
  LeaderElector,
  type ReconcileResult,
  RuntimeMetrics,
} from "@agentyard/kube-runtime";
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import { mustKubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

/** This suite's own metrics: what it counts is not mixed with other suites in the process. */
const metrics = new RuntimeMetrics({ prefix: "controller_test" });

const CONFIGMAPS = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const SECRETS = { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true };

const configMap = (name: string, ns: string, v: string) =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { v } });

function counter() {
  const counts = new Map<string, number>();
  return {
    counts,
    bump: (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1),
    of: (key: string) => counts.get(key) ?? 0,
  };
}

describe("Controller", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(prefix: string) {
    const ns = uniqueName(prefix);
    await mustKubectl(["create", "namespace", ns]);
    const client = clientFromKubeconfigFile(sharedCluster().kubeconfig, prefix);
    const configMaps = new Informer<V1ConfigMap>(client, CONFIGMAPS, { namespace: ns });
    cleanup.push(() => configMaps.stop());
    return { ns, client, configMaps };
  }

  it("reconciles every key at start, on changes, and when a secondary object maps to it", async () => {
    const { ns, client, configMaps } = await setup("ctl");
    await mustKubectl(["apply", "-f", "-"], configMap("a", ns, "1"));
    const secrets = new Informer<V1Secret>(client, SECRETS, { namespace: ns });
    cleanup.push(() => secrets.stop());
    await Promise.all([configMaps.start(), secrets.start()]);

    const seen = counter();
    const bindings: unknown[] = [];
    const controller = new Controller("ctl-basic", { resyncMs: 0 })
      .for(configMaps)
      .watches(secrets, (s) => {
        const owner = s.metadata?.labels?.owner;
        return owner ? [`${s.metadata?.namespace}/${owner}`] : [];
      })
      .reconcile(async (key, { log }) => {
        bindings.push(log.bindings());
        seen.bump(key);
        return undefined;
      });
    controller.start();
    cleanup.push(() => controller.stop());

    await waitFor("a at start", async () => (seen.of(`${ns}/a`) === 1 ? true : undefined));
    await mustKubectl(["apply", "-f", "-"], configMap("a", ns, "2"));
    await waitFor("a after its change", async () => (seen.of(`${ns}/a`) === 2 ? true : undefined));
    await mustKubectl(["create", "secret", "generic", "s", "-n", ns, "--from-literal=k=v"]);
    await mustKubectl(["label", "secret", "s", "-n", ns, "owner=a"]);
    await waitFor("a after its secret changed", async () => (seen.of(`${ns}/a`) >= 3 ? true : undefined));
    // Secrets map to their owner's key, never to their own.
    expect(seen.of(`${ns}/s`)).toBe(0);
    expect(bindings[0]).toMatchObject({ controller: "ctl-basic", key: `${ns}/a` });
  });

  it("reconciles the owner when an owned object changes", async () => {
    const { ns, client, configMaps } = await setup("ctl-owns");
    await mustKubectl(["apply", "-f", "-"], configMap("owner", ns, "1"));
    const secrets = new Informer<V1Secret>(client, SECRETS, { namespace: ns });
    cleanup.push(() => secrets.stop());
    await Promise.all([configMaps.start(), secrets.start()]);
    const uid = configMaps.get(ns, "owner")?.metadata?.uid as string;
    const seen = counter();
    const controller = new Controller("ctl-owns", { resyncMs: 0 })
      .for(configMaps)
      .owns(secrets)
      .reconcile(async (key) => {
        seen.bump(key);
        return undefined;
      });
    controller.start();
    cleanup.push(() => controller.stop());
    await waitFor("the owner at start", async () => (seen.of(`${ns}/owner`) === 1 ? true : undefined));
    const owned = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "child",
        namespace: ns,
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid }],
      },
      stringData: { k: "v" },
    };
    await mustKubectl(["apply", "-f", "-"], JSON.stringify(owned));
    await waitFor("the owner after its child appeared", async () =>
      seen.of(`${ns}/owner`) === 2 ? true : undefined,
    );
    expect(seen.of(`${ns}/child`)).toBe(0);
  });

  it("revisits every key periodically when asked to resync", async () => {
    const { ns, configMaps } = await setup("ctl-resync");
    await mustKubectl(["apply", "-f", "-"], configMap("a", ns, "1"));
    await configMaps.start();
    const seen = counter();
    const controller = new Controller("ctl-resync", { resyncMs: 300 })
      .for(configMaps)
      .reconcile(async (key) => {
        seen.bump(key);
        return undefined;
      });
    controller.start();
    cleanup.push(() => controller.stop());
    await waitFor("three reconciles of an unchanged object", async () =>
      seen.of(`${ns}/a`) >= 3 ? true : undefined,
    );
  });

  it("retries a failing key with backoff, counts the errors, and honours requeueAfterMs", async () => {
    const { ns, configMaps } = await setup("ctl-err");
    await mustKubectl(["apply", "-f", "-"], configMap("bad", ns, "1"));
    await mustKubectl(["apply", "-f", "-"], configMap("again", ns, "1"));
    await configMaps.start();
    const seen = counter();
    const errorsBefore = (await metrics.reconcileErrors.get()).values.find(
      (v) => v.labels.controller === "ctl-err",
    )?.value;
    const controller = new Controller("ctl-err", {
      resyncMs: 0,
      backoff: { baseMs: 50, maxMs: 200 },
      metrics,
    })
      .for(configMaps)
      .reconcile(async (key): Promise<ReconcileResult> => {
        seen.bump(key);
        if (key.endsWith("/bad") && seen.of(key) <= 3) throw new Error("not yet");
        if (key.endsWith("/again") && seen.of(key) < 3) return { requeueAfterMs: 100 };
        return undefined;
      });
    controller.start();
    cleanup.push(() => controller.stop());
    await waitFor("bad to succeed on its fourth try", async () =>
      seen.of(`${ns}/bad`) === 4 ? true : undefined,
    );
    await waitFor("again to be requeued twice", async () =>
      seen.of(`${ns}/again`) === 3 ? true : undefined,
    );
    const errors = (await metrics.reconcileErrors.get()).values.find(
      (v) => v.labels.controller === "ctl-err",
    );
    expect((errors?.value ?? 0) - (errorsBefore ?? 0)).toBe(3);
    const durations = await metrics.reconcileDuration.get();
    expect(
      durations.values.some(
        (v) =>
          v.labels.controller === "ctl-err" &&
          v.labels.result === "error" &&
          v.metricName?.endsWith("_count"),
      ),
    ).toBe(true);
  });

  it("stops taking changes when stopped, and starts again with every key", async () => {
    const { ns, configMaps } = await setup("ctl-stop");
    await mustKubectl(["apply", "-f", "-"], configMap("a", ns, "1"));
    await configMaps.start();
    const seen = counter();
    const controller = new Controller("ctl-stop", { resyncMs: 0 }).for(configMaps).reconcile(async (key) => {
      seen.bump(key);
      return undefined;
    });
    controller.start();
    cleanup.push(() => controller.stop());
    await waitFor("the first reconcile", async () => (seen.of(`${ns}/a`) === 1 ? true : undefined));
    await controller.stop();
    expect(controller.running).toBe(false);
    await mustKubectl(["apply", "-f", "-"], configMap("a", ns, "2"));
    await waitFor("the informer to see the change", async () =>
      configMaps.get(ns, "a")?.data?.v === "2" ? true : undefined,
    );
    controller.enqueue(`${ns}/a`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.of(`${ns}/a`)).toBe(1);
    controller.start();
    await waitFor("the reconcile after the restart", async () =>
      seen.of(`${ns}/a`) === 2 ? true : undefined,
    );
  });
});

describe("Controllers behind leader election", () => {
  it("reconcile only in the replica that leads, and move with the lease", async () => {
    const ns = uniqueName("ha");
    await mustKubectl(["create", "namespace", ns]);
    await mustKubectl(["apply", "-f", "-"], configMap("a", ns, "1"));
    const reconciledBy: string[] = [];
    const stops: (() => Promise<void>)[] = [];

    const replica = async (identity: string) => {
      const client: ClusterClient = clientFromKubeconfigFile(sharedCluster().kubeconfig, identity);
      const informer = new Informer<V1ConfigMap>(client, CONFIGMAPS, { namespace: ns });
      await informer.start();
      const controller = new Controller(`ha-${identity}`, { resyncMs: 0 })
        .for(informer)
        .reconcile(async (key) => {
          reconciledBy.push(`${identity} ${key}`);
          return undefined;
        });
      const elector = new LeaderElector(client, {
        namespace: ns,
        name: "operator",
        identity,
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 200,
      });
      void elector.run({
        onStartedLeading: () => controller.start(),
        onStoppedLeading: () => controller.stop(),
      });
      stops.push(async () => {
        await elector.release();
        informer.stop();
      });
      return elector;
    };

    try {
      const first = await replica("first");
      await waitFor("first to lead", async () => (first.isLeader() ? true : undefined));
      await replica("second");
      await waitFor("first's reconcile", async () => (reconciledBy.length > 0 ? true : undefined));
      await mustKubectl(["apply", "-f", "-"], configMap("a", ns, "2"));
      await waitFor("first to reconcile the change", async () =>
        reconciledBy.length >= 2 ? true : undefined,
      );
      expect(reconciledBy.every((r) => r.startsWith("first "))).toBe(true);

      await first.release();
      await waitFor("second to take over and reconcile", async () =>
        reconciledBy.some((r) => r.startsWith("second ")) ? true : undefined,
      );
      const handover = reconciledBy.length;
      await mustKubectl(["apply", "-f", "-"], configMap("a", ns, "3"));
      await waitFor("second to reconcile the next change", async () =>
        reconciledBy.length > handover ? true : undefined,
      );
      expect(reconciledBy.slice(handover).every((r) => r.startsWith("second "))).toBe(true);
    } finally {
      for (const stop of stops) await stop();
    }
  });
});
