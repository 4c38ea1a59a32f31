import { apply, clientFromKubeconfigFile, EventRecorder } from "@agentyard/kube-runtime";
import { describe, expect, it } from "vitest";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

const REPORTING_CONTROLLER = "example.dev/events-test";

interface EventJson {
  type: string;
  reason: string;
  action: string;
  note?: string;
  reportingController: string;
  reportingInstance: string;
  regarding: { kind: string; name: string; namespace?: string; uid?: string };
  series?: { count: number };
}

async function events(namespace: string): Promise<EventJson[]> {
  const r = await kubectl(["get", "events.events.k8s.io", "-n", namespace, "-o", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).items;
}

describe("EventRecorder", () => {
  const client = () => clientFromKubeconfigFile(sharedCluster().kubeconfig, "events-test");

  it("posts events.k8s.io Events about an object, folding repeats into a series", async () => {
    const ns = uniqueName("events");
    expect((await kubectl(["create", "namespace", ns])).code).toBe(0);
    const c = client();
    const cm = await apply(c, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "subject", namespace: ns },
    });
    const recorder = new EventRecorder(c, {
      reportingController: REPORTING_CONTROLLER,
      identity: "operator-0",
      seriesUpdateMs: 0,
    });

    for (let i = 0; i < 3; i++) {
      await recorder.event(cm, {
        type: "Warning",
        reason: "Broken",
        action: "Reconcile",
        note: "x".repeat(3000),
      });
    }
    await recorder.event(cm, { type: "Normal", reason: "Fixed", action: "Reconcile", note: "all good" });

    const found = await events(ns);
    expect(found.map((e) => e.reason).sort()).toEqual(["Broken", "Fixed"]);
    const broken = found.find((e) => e.reason === "Broken") as EventJson;
    expect(broken).toMatchObject({
      type: "Warning",
      action: "Reconcile",
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: "operator-0",
      regarding: {
        kind: "ConfigMap",
        name: "subject",
        namespace: ns,
        uid: (cm.metadata as { uid?: string }).uid,
      },
      series: { count: 3 },
    });
    expect(Buffer.byteLength(broken.note ?? "")).toBeLessThanOrEqual(1024);
    expect(found.find((e) => e.reason === "Fixed")?.series).toBeUndefined();
  });

  it("counts repeats without writing them until the series is due", async () => {
    const ns = uniqueName("events-quiet");
    expect((await kubectl(["create", "namespace", ns])).code).toBe(0);
    const c = client();
    const cm = await apply(c, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "subject", namespace: ns },
    });
    const recorder = new EventRecorder(c, {
      reportingController: REPORTING_CONTROLLER,
      identity: "operator-0",
      seriesUpdateMs: 60_000,
    });
    for (let i = 0; i < 5; i++)
      await recorder.event(cm, { type: "Warning", reason: "Flapping", action: "Reconcile" });
    const found = await events(ns);
    expect(found).toHaveLength(1);
    expect(found[0]?.series).toBeUndefined();
  });

  it("files events about cluster-scoped objects in default, and never throws when posting fails", async () => {
    const name = uniqueName("events-cluster");
    expect((await kubectl(["create", "namespace", name])).code).toBe(0);
    const c = client();
    const namespaceObj = { apiVersion: "v1", kind: "Namespace", metadata: { name } };
    const recorder = new EventRecorder(c, {
      reportingController: REPORTING_CONTROLLER,
      identity: "operator-0",
    });
    await recorder.event(namespaceObj, {
      type: "Normal",
      reason: "Seen",
      action: "Reconcile",
      note: "hello",
    });
    expect((await events("default")).some((e) => e.regarding.name === name && e.reason === "Seen")).toBe(
      true,
    );

    const nowhere = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x", namespace: uniqueName("missing") },
    };
    await expect(
      recorder.event(nowhere, { type: "Warning", reason: "Lost", action: "Reconcile" }),
    ).resolves.toBeUndefined();
  });
});
