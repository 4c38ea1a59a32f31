import {
  byLabel,
  clientFromKubeconfigFile,
  type EventType,
  Informer,
  RuntimeMetrics,
  stripManagedFields,
} from "@agentyard/kube-runtime";
import type { V1ConfigMap } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

/** This suite's own metrics: what it counts is not mixed with other suites in the process. */
const metrics = new RuntimeMetrics({ prefix: "informer_test" });

const CONFIGMAPS = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
/** Leaves out the kube-root-ca.crt ConfigMap every namespace gets. */
const SELECTOR = "app=runtime-test";

function configMap(name: string, namespace: string, data: Record<string, string>, org?: string) {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace,
      labels: { app: "runtime-test", ...(org ? { "agentyard.dev/org": org } : {}) },
    },
    data,
  });
}

/** Every event an informer delivers, as "TYPE name". */
function record(informer: Informer<V1ConfigMap>): string[] {
  const seen: string[] = [];
  informer.on((type: EventType, obj) => seen.push(`${type} ${obj.metadata?.name}`));
  return seen;
}

async function must(result: Promise<{ code: number; stderr: string }>): Promise<void> {
  const r = await result;
  expect(r.code, r.stderr).toBe(0);
}

async function restartCount(cluster: string, reason: string): Promise<number> {
  const metric = await metrics.watchRestarts.get();
  return metric.values
    .filter((v) => v.labels.cluster === cluster && v.labels.reason === reason)
    .reduce((sum, v) => sum + v.value, 0);
}

describe("Informer on the shared cluster", () => {
  it("lists what exists, then watches additions, changes and deletions, keeping indexes current", async () => {
    const ns = uniqueName("inf");
    await must(kubectl(["create", "namespace", ns]));
    await must(kubectl(["apply", "-f", "-"], { input: configMap("a", ns, { v: "1" }, "acme") }));

    const client = clientFromKubeconfigFile(sharedCluster().kubeconfig, "shared", { metrics });
    const informer = new Informer<V1ConfigMap>(client, CONFIGMAPS, {
      namespace: ns,
      labelSelector: SELECTOR,
      indexers: { org: byLabel("agentyard.dev/org") },
    });
    const seen = record(informer);
    try {
      await informer.start();
      expect(informer.hasSynced()).toBe(true);
      expect(informer.get(ns, "a")?.data).toEqual({ v: "1" });
      expect(informer.get(ns, "a")?.kind).toBe("ConfigMap");
      expect(seen).toContain("ADDED a");

      await must(kubectl(["apply", "-f", "-"], { input: configMap("b", ns, { v: "1" }, "acme") }));
      await must(kubectl(["apply", "-f", "-"], { input: configMap("a", ns, { v: "2" }, "globex") }));
      await waitFor("b added and a modified", async () =>
        informer.get(ns, "b") && informer.get(ns, "a")?.data?.v === "2" ? true : undefined,
      );
      expect(informer.byIndex("org", "acme").map((o) => o.metadata?.name)).toEqual(["b"]);
      expect(informer.byIndex("org", "globex").map((o) => o.metadata?.name)).toEqual(["a"]);
      expect(informer.list(ns)).toHaveLength(2);

      await must(kubectl(["delete", "configmap", "b", "-n", ns]));
      await waitFor("b deleted", async () => (informer.get(ns, "b") ? undefined : true));
      expect(seen).toEqual(["ADDED a", "ADDED b", "MODIFIED a", "DELETED b"]);
      expect(informer.byIndex("org", "acme")).toEqual([]);
    } finally {
      informer.stop();
    }
  });

  it("passes the old object along with a modification", async () => {
    const ns = uniqueName("inf-old");
    await must(kubectl(["create", "namespace", ns]));
    await must(kubectl(["apply", "-f", "-"], { input: configMap("a", ns, { v: "1" }) }));
    const informer = new Informer<V1ConfigMap>(
      clientFromKubeconfigFile(sharedCluster().kubeconfig, "shared", { metrics }),
      CONFIGMAPS,
      { namespace: ns, labelSelector: SELECTOR },
    );
    const changes: [string | undefined, string | undefined][] = [];
    informer.on((type, obj, old) => {
      if (type === "MODIFIED") changes.push([old?.data?.v, obj.data?.v]);
    });
    try {
      await informer.start();
      await must(kubectl(["apply", "-f", "-"], { input: configMap("a", ns, { v: "2" }) }));
      await waitFor("the modification", async () => (changes.length > 0 ? true : undefined));
      expect(changes).toEqual([["1", "2"]]);
    } finally {
      informer.stop();
    }
  });

  it("caches listed and watched objects as its transform makes them: no managedFields with stripManagedFields", async () => {
    const ns = uniqueName("inf-trim");
    await must(kubectl(["create", "namespace", ns]));
    await must(
      kubectl(["apply", "--server-side", "-f", "-"], { input: configMap("listed", ns, { v: "1" }) }),
    );
    const client = clientFromKubeconfigFile(sharedCluster().kubeconfig, "shared", { metrics });
    const informer = new Informer<V1ConfigMap>(client, CONFIGMAPS, {
      namespace: ns,
      labelSelector: SELECTOR,
      transform: stripManagedFields,
    });
    const delivered: V1ConfigMap[] = [];
    informer.on((_type, obj) => delivered.push(obj));
    try {
      await informer.start();
      await must(
        kubectl(["apply", "--server-side", "-f", "-"], { input: configMap("watched", ns, { v: "1" }) }),
      );
      await waitFor("the watched ConfigMap", async () => informer.get(ns, "watched"));
      // The server keeps the field: what is left out was there to leave out.
      const live = await client.request<V1ConfigMap>("GET", `/api/v1/namespaces/${ns}/configmaps/watched`);
      expect(live.metadata?.managedFields?.length).toBeGreaterThan(0);
      for (const name of ["listed", "watched"]) {
        const cached = informer.get(ns, name);
        expect(cached?.data).toEqual({ v: "1" });
        expect(cached?.metadata?.labels).toEqual({ app: "runtime-test" });
        expect(cached?.metadata).not.toHaveProperty("managedFields");
      }
      expect(delivered.map((o) => o.metadata?.name).sort()).toEqual(["listed", "watched"]);
      for (const obj of delivered) expect(obj.metadata).not.toHaveProperty("managedFields");
    } finally {
      informer.stop();
    }
  });
});

describe("Informer through faults, on a cluster of its own", () => {
  let cluster: DevCluster;
  const ns = "faults";
  const run = (args: string[], input?: string) => must(cluster.kubectl(args, input ? { input } : {}));

  beforeAll(async () => {
    cluster = await DevCluster.start({ name: "informer-faults" });
    await run(["create", "namespace", ns]);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("resumes after the API server restarts and sees what changed while it was away, deletes included", async () => {
    await run(["apply", "-f", "-"], configMap("a", ns, { v: "1" }));
    await run(["apply", "-f", "-"], configMap("b", ns, { v: "1" }));
    const client = clientFromKubeconfigFile(cluster.kubeconfigPath(), "restart", { metrics });
    const informer = new Informer<V1ConfigMap>(client, CONFIGMAPS, {
      namespace: ns,
      labelSelector: SELECTOR,
      backoff: { baseMs: 1000, maxMs: 2000 },
    });
    const seen = record(informer);
    try {
      await informer.start();
      expect(informer.list(ns).map((o) => o.metadata?.name)).toEqual(["a", "b"]);
      const errorsBefore = await restartCount("restart", "error");

      await cluster.stopComponent("kube-apiserver");
      await waitFor("the informer to notice the API server is gone", async () =>
        (await restartCount("restart", "error")) > errorsBefore ? true : undefined,
      );
      await cluster.startComponent("kube-apiserver");
      await run(["delete", "configmap", "a", "-n", ns]);
      await run(["apply", "-f", "-"], configMap("b", ns, { v: "2" }));
      await run(["apply", "-f", "-"], configMap("c", ns, { v: "1" }));

      await waitFor(
        "the informer to catch up",
        async () =>
          !informer.get(ns, "a") && informer.get(ns, "b")?.data?.v === "2" && informer.get(ns, "c")
            ? true
            : undefined,
        { timeoutMs: 30_000 },
      );
      expect(seen).toEqual(expect.arrayContaining(["DELETED a", "MODIFIED b", "ADDED c"]));
      expect(seen.filter((s) => s === "DELETED a")).toHaveLength(1);
    } finally {
      informer.stop();
    }
  });

  it("restarts a watch that went silent, and catches up once the server answers again", async () => {
    await run(["apply", "-f", "-"], configMap("quiet", ns, { v: "1" }));
    const client = clientFromKubeconfigFile(cluster.kubeconfigPath(), "silent", { metrics });
    const informer = new Informer<V1ConfigMap>(client, CONFIGMAPS, {
      namespace: ns,
      labelSelector: SELECTOR,
      watchdogMs: 1500,
      backoff: { baseMs: 200, maxMs: 1000 },
    });
    const apiserver = cluster.pid("kube-apiserver") as number;
    try {
      await informer.start();
      const silentBefore = await restartCount("silent", "silent");
      // A frozen server keeps its connections open and sends nothing: only the watchdog can tell.
      process.kill(apiserver, "SIGSTOP");
      try {
        await waitFor(
          "the watchdog to restart the silent watch",
          async () => ((await restartCount("silent", "silent")) > silentBefore ? true : undefined),
          { timeoutMs: 15_000 },
        );
      } finally {
        process.kill(apiserver, "SIGCONT");
      }
      await run(["apply", "-f", "-"], configMap("quiet", ns, { v: "2" }));
      await waitFor(
        "the informer to see the change made after the server woke",
        async () => (informer.get(ns, "quiet")?.data?.v === "2" ? true : undefined),
        { timeoutMs: 30_000 },
      );
    } finally {
      informer.stop();
    }
  });
});
