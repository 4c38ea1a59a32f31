import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface RuntimeMetricsOptions {
  /** Prepended to every metric name, e.g. `myop` gives `myop_workqueue_depth`. */
  prefix?: string;
  /** Where they are registered: a registry of their own when omitted. */
  registry?: Registry;
}

const DEFAULT_PREFIX = "kube_runtime";

/**
 * The runtime's metrics in one registry: queues, reconciles, requests to API servers, watches and
 * leader election record here, and a Manager's /metrics serves it. One per process that exposes
 * metrics; two in one process (an operator and a node agent) need registries of their own.
 */
export class RuntimeMetrics {
  readonly registry: Registry;
  readonly queueDepth: Gauge<"controller">;
  readonly reconcileDuration: Histogram<"controller" | "result">;
  readonly reconcileErrors: Counter<"controller">;
  readonly apiRequests: Counter<"cluster" | "verb" | "code">;
  readonly watchRestarts: Counter<"cluster" | "resource" | "reason">;
  readonly leader: Gauge<"lease">;

  constructor(options: RuntimeMetricsOptions = {}) {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    const registry = options.registry ?? new Registry();
    this.registry = registry;
    const named = <L extends string>(name: string, help: string, labelNames: readonly L[]) => ({
      name: `${prefix}_${name}`,
      help,
      labelNames,
      registers: [registry],
    });
    this.queueDepth = new Gauge(named("workqueue_depth", "Keys waiting to be reconciled.", ["controller"]));
    this.reconcileDuration = new Histogram({
      ...named("reconcile_duration_seconds", "Time spent in one reconcile, by outcome.", [
        "controller",
        "result",
      ]),
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.reconcileErrors = new Counter(
      named("reconcile_errors_total", "Reconciles that threw and were requeued with backoff.", [
        "controller",
      ]),
    );
    this.apiRequests = new Counter(
      named(
        "api_requests_total",
        "Requests to Kubernetes API servers, by HTTP verb and status code (`error` when no response came).",
        ["cluster", "verb", "code"],
      ),
    );
    this.watchRestarts = new Counter(
      named(
        "informer_watch_restarts_total",
        "Watches an informer started again, by why the previous one ended.",
        ["cluster", "resource", "reason"],
      ),
    );
    this.leader = new Gauge(named("leader", "1 while this process holds the named lease.", ["lease"]));
  }
}

let fallback: RuntimeMetrics | undefined;

/** For pieces used without a Manager (tools, tests): recorded, served by nobody. */
export function unservedMetrics(): RuntimeMetrics {
  fallback ??= new RuntimeMetrics();
  return fallback;
}

const withProcessMetrics = new WeakSet<Registry>();

/** Process metrics (CPU, memory, event loop lag) in a registry, once per registry and process. */
export function collectProcessMetrics(into: Registry): void {
  if (withProcessMetrics.has(into)) return;
  withProcessMetrics.add(into);
  collectDefaultMetrics({ register: into });
}
