import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The operator's one registry: every runtime piece records here, `/metrics` serves it. */
export const registry = new Registry();

export const metrics = {
  queueDepth: new Gauge({
    name: "agentyard_workqueue_depth",
    help: "Keys waiting to be reconciled.",
    labelNames: ["controller"] as const,
    registers: [registry],
  }),
  reconcileDuration: new Histogram({
    name: "agentyard_reconcile_duration_seconds",
    help: "Time spent in one reconcile, by outcome.",
    labelNames: ["controller", "result"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  }),
  reconcileErrors: new Counter({
    name: "agentyard_reconcile_errors_total",
    help: "Reconciles that threw and were requeued with backoff.",
    labelNames: ["controller"] as const,
    registers: [registry],
  }),
  apiRequests: new Counter({
    name: "agentyard_api_requests_total",
    help: "Requests to Kubernetes API servers, by HTTP verb and status code (`error` when no response came).",
    labelNames: ["cluster", "verb", "code"] as const,
    registers: [registry],
  }),
  watchRestarts: new Counter({
    name: "agentyard_informer_watch_restarts_total",
    help: "Watches an informer started again, by why the previous one ended.",
    labelNames: ["cluster", "resource", "reason"] as const,
    registers: [registry],
  }),
  leader: new Gauge({
    name: "agentyard_leader",
    help: "1 while this process holds the named lease.",
    labelNames: ["lease"] as const,
    registers: [registry],
  }),
};

const withProcessMetrics = new WeakSet<Registry>();

/** Process metrics (CPU, memory, event loop lag) in a registry, once per registry and process. */
export function collectProcessMetrics(into: Registry = registry): void {
  if (withProcessMetrics.has(into)) return;
  withProcessMetrics.add(into);
  collectDefaultMetrics({ register: into });
}
