import {
  apply,
  applyStatus,
  type ClusterClient,
  clientFromKubeconfigFile,
  deleteIfExists,
  finalizer,
  getIfExists,
  needsApply,
  type Resource,
  RuntimeMetrics,
} from "@agentyard/kube-runtime";
import { beforeAll, describe, expect, it } from "vitest";
import { type AuditEvent, readAuditLog } from "../devcluster/audit.ts";
import { waitFor } from "../devcluster/http.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

/** This suite's own metrics: what it counts is not mixed with other suites in the process. */
const metrics = new RuntimeMetrics({ prefix: "apply_test" });

const GROUP = "runtime-test.agentyard.dev";
const WIDGET = `${GROUP}/v1`;

/** A throwaway custom resource with a status subresource, independent of the project's CRDs. */
const WIDGET_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
            },
          },
        },
      },
    ],
  },
};

interface Widget extends Resource {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

function auditEvents(): Promise<AuditEvent[]> {
  return readAuditLog(sharedCluster().auditLog);
}

async function writesTo(namespace: string): Promise<AuditEvent[]> {
  return (await auditEvents()).filter(
    (e) => e.user?.username === "admin" && e.objectRef?.namespace === namespace && e.verb !== "create",
  );
}

async function namespace(prefix: string): Promise<string> {
  const ns = uniqueName(prefix);
  const r = await kubectl(["create", "namespace", ns]);
  expect(r.code, r.stderr).toBe(0);
  return ns;
}

function widget(name: string, ns: string, spec: Record<string, unknown> = { size: 1 }): Widget {
  return { apiVersion: WIDGET, kind: "Widget", metadata: { name, namespace: ns }, spec };
}

describe("server-side apply helpers", () => {
  let client: ClusterClient;

  beforeAll(async () => {
    client = clientFromKubeconfigFile(sharedCluster().kubeconfig, "apply-test", { metrics });
    const r = await kubectl(["apply", "--server-side", "-f", "-"], { input: JSON.stringify(WIDGET_CRD) });
    expect(r.code, r.stderr).toBe(0);
    const ready = await kubectl([
      "wait",
      "--for=condition=Established",
      "--timeout=60s",
      `crd/widgets.${GROUP}`,
    ]);
    expect(ready.code, ready.stderr).toBe(0);
  });

  it("applies idempotently, and a resync of an unchanged world writes nothing", async () => {
    const ns = await namespace("apply");
    const desired: Resource[] = [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "state", namespace: ns, labels: { "agentyard.dev/org": "acme" } },
        data: { phase: "Running" },
      } as Resource,
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "agent", namespace: ns, labels: { app: "agent" } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "agent" } },
          template: {
            metadata: { labels: { app: "agent" } },
            spec: {
              // The server answers these quantities as "1073741824", 500m, 1, 1536Mi and 1k, and drops
              // the empty value: a resync must still see nothing to change.
              containers: [
                {
                  name: "agent",
                  image: "registry.invalid/agent:1",
                  ports: [{ containerPort: 8443 }],
                  env: [{ name: "EMPTY", value: "" }],
                  resources: {
                    requests: { cpu: "0.5", memory: 1073741824 },
                    limits: { cpu: "1000m", memory: "1.5Gi" },
                  },
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1e3" } }],
            },
          },
        },
      } as Resource,
    ];
    const first = await Promise.all(desired.map((d) => apply(client, d)));
    const again = await Promise.all(desired.map((d) => apply(client, d)));
    // The ConfigMap is the same object; the Deployment's status moves on its own, its spec did not.
    expect(again[0]?.metadata?.resourceVersion).toBe(first[0]?.metadata?.resourceVersion);
    const generation = (o: Resource | undefined) =>
      (o?.metadata as { generation?: number } | undefined)?.generation;
    expect(generation(again[1])).toBe(1);
    expect((first[0] as { data?: unknown }).data).toEqual({ phase: "Running" });
    // Counted by verb and code: an apply that creates answers 201, one that updates 200.
    const patches = (await metrics.apiRequests.get()).values.filter(
      (v) => v.labels.cluster === "apply-test" && v.labels.verb === "PATCH",
    );
    expect(patches.find((v) => v.labels.code === "201")?.value).toBeGreaterThanOrEqual(2);
    expect(patches.find((v) => v.labels.code === "200")?.value).toBeGreaterThanOrEqual(2);

    await waitFor("the audit log to show both applies twice", async () =>
      (await writesTo(ns)).filter((e) => e.verb === "patch").length >= 4 ? true : undefined,
    );
    const before = (await writesTo(ns)).length;

    // The resync: read the live objects, apply only what differs.
    for (const d of desired) {
      if (needsApply(d, await getIfExists(client, d))) await apply(client, d);
    }
    // A write after the resync: once it is in the audit log, any write of the resync would be too.
    const marker = await kubectl(["create", "configmap", "marker", "-n", ns]);
    expect(marker.code, marker.stderr).toBe(0);
    await waitFor("the marker in the audit log", async () =>
      (await auditEvents()).some((e) => e.objectRef?.namespace === ns && e.objectRef.name === "marker")
        ? true
        : undefined,
    );
    expect((await writesTo(ns)).length).toBe(before);
  });

  it("applies status through the status subresource without touching the spec", async () => {
    const ns = await namespace("status");
    await apply(client, widget("w", ns, { size: 3 }));
    const live = await applyStatus(client, {
      ...widget("w", ns),
      spec: undefined,
      status: { phase: "Ready" },
    });
    expect(live.status).toEqual({ phase: "Ready" });
    expect(live.spec).toEqual({ size: 3 });
    // The main resource ignores status: only the subresource writes it.
    await apply(client, { ...widget("w", ns, { size: 3 }), status: { phase: "Ignored" } });
    const read = await getIfExists<Widget>(client, widget("w", ns));
    expect(read?.status).toEqual({ phase: "Ready" });
    await waitFor("a PATCH of the status subresource in the audit log", async () =>
      (await auditEvents()).some(
        (e) => e.objectRef?.namespace === ns && e.objectRef.subresource === "status" && e.verb === "patch",
      )
        ? true
        : undefined,
    );
  });

  it("adds a finalizer before apply, runs cleanup on deletion and removes the finalizer after", async () => {
    const ns = await namespace("fin");
    const calls: string[] = [];
    const handlers = {
      apply: async (o: Widget) => {
        calls.push(`apply ${o.metadata?.finalizers?.join(",")}`);
        return undefined;
      },
      cleanup: async (o: Widget) => {
        calls.push(`cleanup ${o.metadata?.name}`);
        return undefined;
      },
    };
    let live = await apply(client, widget("w", ns));
    await finalizer(client, live, "agentyard.dev/cleanup", handlers);
    live = (await getIfExists<Widget>(client, live)) as Widget;
    expect(live.metadata?.finalizers).toEqual(["agentyard.dev/cleanup"]);
    const rv = live.metadata?.resourceVersion;
    await finalizer(client, live, "agentyard.dev/cleanup", handlers);
    expect((await getIfExists<Widget>(client, live))?.metadata?.resourceVersion).toBe(rv);

    const deleted = await kubectl([
      "delete",
      "widgets.runtime-test.agentyard.dev",
      "w",
      "-n",
      ns,
      "--wait=false",
    ]);
    expect(deleted.code, deleted.stderr).toBe(0);
    live = (await getIfExists<Widget>(client, live)) as Widget;
    expect(live.metadata?.deletionTimestamp).toBeDefined();
    expect(await finalizer(client, live, "agentyard.dev/cleanup", handlers)).toBeUndefined();
    expect(await getIfExists(client, live)).toBeUndefined();
    expect(calls).toEqual(["apply agentyard.dev/cleanup", "apply agentyard.dev/cleanup", "cleanup w"]);
  });

  it("keeps other finalizers, and keeps its own while cleanup asks to come back", async () => {
    const ns = await namespace("fin2");
    const other = "example.com/other";
    let live: Widget = await apply(client, {
      ...widget("w", ns),
      metadata: { name: "w", namespace: ns, finalizers: [other] },
    });
    let cleanupDone = false;
    const handlers = {
      apply: async () => undefined,
      cleanup: async () => (cleanupDone ? undefined : { requeueAfterMs: 1000 }),
    };
    await finalizer(client, live, "agentyard.dev/cleanup", handlers);
    live = (await getIfExists<Widget>(client, live)) as Widget;
    expect(live.metadata?.finalizers).toEqual([other, "agentyard.dev/cleanup"]);

    expect(
      (await kubectl(["delete", "widgets.runtime-test.agentyard.dev", "w", "-n", ns, "--wait=false"])).code,
    ).toBe(0);
    live = (await getIfExists<Widget>(client, live)) as Widget;
    expect(await finalizer(client, live, "agentyard.dev/cleanup", handlers)).toEqual({
      requeueAfterMs: 1000,
    });
    expect((await getIfExists<Widget>(client, live))?.metadata?.finalizers).toContain(
      "agentyard.dev/cleanup",
    );
    cleanupDone = true;
    await finalizer(client, live, "agentyard.dev/cleanup", handlers);
    expect((await getIfExists<Widget>(client, live))?.metadata?.finalizers).toEqual([other]);
    await deleteIfExists(client, live);
    await kubectl([
      "patch",
      "widgets.runtime-test.agentyard.dev",
      "w",
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
  });

  it("refuses to add a finalizer when the list changed since it was read", async () => {
    const ns = await namespace("fin3");
    const stale = await apply(client, widget("w", ns));
    const r = await kubectl([
      "patch",
      "widgets.runtime-test.agentyard.dev",
      "w",
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":["example.com/other"]}}',
    ]);
    expect(r.code, r.stderr).toBe(0);
    await expect(
      finalizer(client, stale, "agentyard.dev/cleanup", {
        apply: async () => undefined,
        cleanup: async () => undefined,
      }),
    ).rejects.toThrow();
    await kubectl([
      "patch",
      "widgets.runtime-test.agentyard.dev",
      "w",
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
  });

  it("deletes what exists and tells when there was nothing to delete", async () => {
    const ns = await namespace("del");
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: ns } };
    await apply(client, cm);
    expect(await deleteIfExists(client, cm)).toBe(true);
    await waitFor("the ConfigMap to be gone", async () =>
      (await getIfExists(client, cm)) ? undefined : true,
    );
    expect(await deleteIfExists(client, cm)).toBe(false);
  });

  it("deletes only the object of the uid it was given", async () => {
    const ns = await namespace("del-uid");
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: ns } };
    const first = await apply<typeof cm & { metadata: { uid?: string } }>(client, cm);
    await deleteIfExists(client, cm);
    await waitFor("the first ConfigMap to be gone", async () =>
      (await getIfExists(client, cm)) ? undefined : true,
    );
    const second = await apply<typeof cm & { metadata: { uid?: string } }>(client, cm);
    expect(await deleteIfExists(client, cm, { uid: first.metadata.uid as string })).toBe(false);
    expect((await getIfExists<typeof second>(client, cm))?.metadata.uid).toBe(second.metadata.uid);
    expect(await deleteIfExists(client, cm, { uid: second.metadata.uid as string })).toBe(true);
  });
});
