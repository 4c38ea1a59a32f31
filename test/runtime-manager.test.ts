import {
  apply,
  clientFromKubeconfigFile,
  Manager,
  monotonicNow,
  RuntimeMetrics,
  sleep,
} from "@agentyard/kube-runtime";
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import { kubectl, mustKubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

const CONFIGMAPS = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const SECRETS = { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true };

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
    await mustKubectl(["create", "namespace", ns]);
    await mustKubectl(["apply", "-f", "-"], configMap("a", ns, { team: "red" }));
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
    await mustKubectl(["create", "namespace", ns]);
    await mustKubectl(["apply", "-f", "-"], configMap("a", ns));
    await mustKubectl(["create", "secret", "generic", "s", "-n", ns]);
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
    await mustKubectl(["create", "namespace", ns]);
    await mustKubectl(["apply", "-f", "-"], configMap("a", ns));
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

  describe("when the Lease is lost mid-reconcile", () => {
    const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200 };

    async function leadingManager(ns: string, identity: string) {
      await mustKubectl(["create", "namespace", ns]);
      await mustKubectl(["apply", "-f", "-"], configMap("a", ns));
      const mgr = manager(`${ns}-${identity}`, {
        leaderElection: { namespace: ns, name: "lease", identity, ...TIMING },
      });
      stops.push(() => mgr.stop());
      return { mgr, configMaps: mgr.informer<V1ConfigMap>(CONFIGMAPS, { namespace: ns }) };
    }

    const takeLease = (ns: string, seconds: number) =>
      mustKubectl([
        "patch",
        "lease",
        "lease",
        "-n",
        ns,
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { holderIdentity: "intruder", leaseDurationSeconds: seconds } }),
      ]);

    it("cancels a reconcile blocked in a slow call, and it writes nothing after", async () => {
      const ns = uniqueName("mgr-cancel");
      const { mgr, configMaps } = await leadingManager(ns, "leader");
      let entered = false;
      let outcome: Error | undefined;
      let returned = false;
      mgr
        .controller("cancel", { resyncMs: 0 })
        .for(configMaps)
        .reconcile(async (key, { signal }) => {
          if (key !== `${ns}/a` || entered) return undefined;
          entered = true;
          try {
            // A slow call: a watch, which the API server holds open for a minute.
            await mgr.client.request("GET", `/api/v1/namespaces/${ns}/configmaps`, {
              query: { watch: true, timeoutSeconds: 60 },
              timeoutMs: 90_000,
              signal,
            });
            await apply(
              mgr.client,
              {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "written-after-loss", namespace: ns },
              },
              { signal },
            );
          } catch (err) {
            outcome = err as Error;
            throw err;
          } finally {
            returned = true;
          }
          return undefined;
        });
      await mgr.start();
      await waitFor("the reconcile to block", async () => (entered ? true : undefined));
      await takeLease(ns, 60);
      await waitFor("the blocked reconcile to return", async () => (returned ? true : undefined), {
        timeoutMs: 10_000,
      });
      expect(outcome?.message).toBe("another replica holds the lease");
      expect(mgr.isLeader()).toBe(false);
      const after = await kubectl(["get", "configmap", "written-after-loss", "-n", ns]);
      expect(after.stderr).toContain("NotFound");
    });

    it("starts a new term only once every reconcile of the last one has returned", async () => {
      const ns = uniqueName("mgr-terms");
      const { mgr, configMaps } = await leadingManager(ns, "leader");
      const runs: { start: number; end?: number }[] = [];
      mgr
        .controller("terms", { resyncMs: 0 })
        .for(configMaps)
        .reconcile(async (key) => {
          if (key !== `${ns}/a`) return undefined;
          const run: { start: number; end?: number } = { start: monotonicNow() };
          runs.push(run);
          // Work that does not heed the signal (no client call): the next term must wait for it.
          if (runs.length === 1) await sleep(1500);
          run.end = monotonicNow();
          return undefined;
        });
      await mgr.start();
      await waitFor("the first reconcile", async () => (runs.length === 1 ? true : undefined));
      // Taken for a second: the Manager steps down, then leads again once that has passed.
      await takeLease(ns, 1);
      await waitFor("a reconcile of the next term", async () => (runs.length >= 2 ? true : undefined), {
        timeoutMs: 20_000,
      });
      const [first, second] = runs as [{ start: number; end: number }, { start: number }];
      expect(first.end).toBeDefined();
      expect(second.start).toBeGreaterThanOrEqual(first.end);
    });
  });
});
