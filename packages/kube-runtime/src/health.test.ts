import { afterEach, describe, expect, it } from "vitest";
import { type HealthServer, startHealthServer } from "./health.ts";
import { RuntimeMetrics } from "./metrics.ts";

const metrics = new RuntimeMetrics({ prefix: "health_test" });
const { registry } = metrics;

describe("health server", () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it("answers /healthz always and /readyz only once ready", async () => {
    let ready = false;
    server = await startHealthServer({ address: "127.0.0.1:0", ready: () => ready, registry });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it("serves the runtime's metrics in the Prometheus text format", async () => {
    metrics.queueDepth.set({ controller: "health-test" }, 3);
    metrics.apiRequests.inc({ cluster: "health-test", verb: "GET", code: "200" });
    metrics.reconcileDuration.observe({ controller: "health-test", result: "success" }, 0.01);
    metrics.reconcileErrors.inc({ controller: "health-test" });
    server = await startHealthServer({ address: "127.0.0.1:0", ready: () => true, registry });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const name of [
      'health_test_workqueue_depth{controller="health-test"} 3',
      'health_test_api_requests_total{cluster="health-test",verb="GET",code="200"} 1',
      "health_test_reconcile_duration_seconds_bucket",
      'health_test_reconcile_errors_total{controller="health-test"} 1',
      "health_test_informer_watch_restarts_total",
      "health_test_leader",
      "process_resident_memory_bytes",
    ]) {
      expect(text).toContain(name);
    }
  });

  it("rejects an address that is not host:port", async () => {
    await expect(
      startHealthServer({ address: "localhost:http", ready: () => true, registry }),
    ).rejects.toThrow(/bad listen address/);
  });
});
