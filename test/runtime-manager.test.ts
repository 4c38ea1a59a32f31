import { clientFromKubeconfigFile, Manager, RuntimeMetrics } from "@agentyard/kube-runtime";
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

const CONFIGMAPS = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const SECRETS = { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true };

async function must(args: string[], input?: string): Promise<void> {
  const r = await kubectl(args, input === undefined ? {} : { input });
  expect(r.code, r.stderr).toBe(0);
}

const configMap = (name: string, ns: string, labels: Record<string, string> = {}) =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, labels } });

function manager(name: string, options: Partial<ConstructorParameters<typeof Manager>[0]> = {}) {
  const metrics = new RuntimeMetrics({ prefix: name.replaceAll("-", "_") });
  return new Manager({
    client: clientFromKubeconfigFile(sharedCluster().kubeconfig, name, { metrics }),
    ...options,
  });
}

describe("Manager", () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it("shares one informer per kind, namespace and selector, with every caller's indexes", async () => {
    const ns = uniqueName("mgr-share");
    await must(["create", "namespace", ns]);
    await must(["apply", "-f", "-"], configMap("a", ns, { team: "red" }));
    const mgr = manager("mgr-share");
    stops.push(() => mgr.stop());
    const first = mgr.informer<V1ConfigMap>(CONFIGMAPS, { namespace: ns });
    const second = mgr.informer<V1ConfigMap>(CONFIGMAPS, {
      namespace: ns,
      indexers: { team: (o) => [o.metadata?.labels?.team ?? ""] },
    });
    const selected = mgr.informer<V1ConfigMap>(CONFIGMAPS, { namespace: ns, labelSelector: "team=blue" });
    expect(second).toBe(first);
    expect(selected).not.toBe(first);
    expect(mgr.ready()).toBe(false);
    await mgr.start();
    expect(mgr.ready()).toBe(true);
    expect(first.byIndex("team", "red").map((o) => o.metadata?.name)).toEqual(["a"]);
    expect(selected.list()).toEqual([]);
  });

  it("starts controllers once every cache has synced, and serves health and its metrics", async () => {
    const ns = uniqueName("mgr-sync");
    await must(["create", "namespace", ns]);
    await must(["apply", "-f", "-"], configMap("a", ns));
    await must(["create", "secret", "generic", "s", "-n", ns]);
    const mgr = manager("mgr-sync", { healthAddress: "127.0.0.1:0" });
    stops.push(() => mgr.stop());
    const configMaps = mgr.informer<V1ConfigMap>(CONFIGMAPS, { namespace: ns });
    const secrets = mgr.informer<V1Secret>(SECRETS, { namespace: ns });
    const seen: string[] = [];
    mgr
      .controller("mgr-sync")
      .for(configMaps)
      .watches(secrets, () => [`${ns}/a`])
      .reconcile(async (key) => {
        // Both caches are full before the first reconcile: a reconciler never sees a half-synced world.
        seen.push(`${key} ${secrets.get(ns, "s") ? "with" : "without"} the secret`);
        return undefined;
      });
    await mgr.start();
    await waitFor("the first reconcile", async () => (seen.length > 0 ? true : undefined));
    expect(seen[0]).toBe(`${ns}/a with the secret`);

    const url = mgr.healthUrl as string;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain(
      'mgr_sync_reconcile_duration_seconds_count{controller="mgr-sync",result="success"}',
    );
    expect(text).toContain("mgr_sync_api_requests_total");
    expect(text).toContain("process_resident_memory_bytes");
  });

  it("reconciles only while leading, and hands over on stop", async () => {
    const ns = uniqueName("mgr-lead");
    await must(["create", "namespace", ns]);
    await must(["apply", "-f", "-"], configMap("a", ns));
    const reconciledBy: string[] = [];
    const replica = async (identity: string) => {
      const mgr = manager(`mgr-lead-${identity}`, {
        leaderElection: {
          namespace: ns,
          name: "lease",
          identity,
          leaseDurationMs: 3000,
          renewDeadlineMs: 2000,
          retryPeriodMs: 200,
        },
      });
      mgr
        .controller(`lead-${identity}`, { resyncMs: 0 })
        .for(mgr.informer<V1ConfigMap>(CONFIGMAPS, { namespace: ns }))
        .reconcile(async (key) => {
          reconciledBy.push(`${identity} ${key}`);
          return undefined;
        });
      await mgr.start();
      stops.push(() => mgr.stop());
      return mgr;
    };
    const first = await replica("first");
    await waitFor("first to lead and reconcile", async () => (reconciledBy.length > 0 ? true : undefined));
    const second = await replica("second");
    expect(second.isLeader()).toBe(false);
    expect(first.isLeader()).toBe(true);
    await first.stop();
    await waitFor("second to take over and reconcile", async () =>
      reconciledBy.some((r) => r.startsWith("second ")) ? true : undefined,
    );
    expect(reconciledBy.filter((r) => r.startsWith("first ")).length).toBeGreaterThan(0);
  });
});
