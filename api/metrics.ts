import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The api's own registry, so that an api and an operator in one process (npm start) do not collide. */
export const registry = new Registry();

export const httpRequests = new Histogram({
  name: "agentyard_api_http_request_duration_seconds",
  help: "Time to answer an HTTP request, by route and status code.",
  labelNames: ["method", "route", "code"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const kubeRequests = new Counter({
  name: "agentyard_api_kube_requests_total",
  help: "Requests to the Kubernetes API server, by verb and status code (`error` when no answer came).",
  labelNames: ["verb", "code"] as const,
  registers: [registry],
});

export const reviews = new Counter({
  name: "agentyard_api_reviews_total",
  help: "TokenReviews and SubjectAccessReviews, by kind and result; `cached` answered without asking.",
  labelNames: ["kind", "result"] as const,
  registers: [registry],
});

export const eventStreams = new Gauge({
  name: "agentyard_api_event_streams",
  help: "Open Server-Sent Events streams.",
  registers: [registry],
});
