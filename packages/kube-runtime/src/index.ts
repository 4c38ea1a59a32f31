/**
 * A small Kubernetes controller runtime: clients, informers with resume and backoff, a per-key work
 * queue, controllers declared in one sentence, leader election on a Lease, server-side apply with
 * finalizers, events, health and metrics. It knows no agentyard type; its users import this file.
 */
export {
  type ApplyOptions,
  apply,
  applyStatus,
  createIfAbsent,
  deleteIfExists,
  type FinalizerHandlers,
  finalizer,
  getIfExists,
  needsApply,
  type SignalOption,
} from "./apply.ts";
export { Backoff, type BackoffOptions, backoffDelay } from "./backoff.ts";
export {
  type ClientIdentity,
  type ClusterClient,
  clientFromKubeConfig,
  clientFromKubeconfigFile,
  defaultClient,
  ObjectApi,
  type Query,
  type RequestObserver,
  type RequestOptions,
  statusCode,
  type Verb,
  type WatchEventCallback,
  type WatchOptions,
} from "./client.ts";
export {
  Controller,
  type ControllerOptions,
  type KeyMapper,
  type PrimarySource,
  type ReconcileContext,
  type ReconcileResult,
  type Reconciler,
  type Source,
  type WatchFilter,
} from "./controller.ts";
export { Deadline, DeadlineExceeded, monotonicNow, throwIfAborted } from "./deadline.ts";
export {
  KubeError,
  type KubeStatus,
  KubeUnreachable,
  NOT_LEADER_PREFIX,
  notLeaderMessage,
} from "./errors.ts";
export { type EventInput, EventRecorder, type EventRecorderOptions } from "./events.ts";
export { type HealthServer, type HealthServerOptions, startHealthServer } from "./health.ts";
export type { Impersonation } from "./impersonation.ts";
export {
  Informer,
  type InformerHandler,
  type InformerOptions,
  type ResourceType,
  stripManagedFields,
} from "./informer.ts";
export { JITTER_FACTOR, type LeaderCallbacks, LeaderElector, type LeaderElectorOptions } from "./leader.ts";
export { createLogger, type Logger, silentLogger } from "./log.ts";
export { Manager, type ManagerOptions, type Runnable } from "./manager.ts";
export { collectProcessMetrics, RuntimeMetrics, type RuntimeMetricsOptions } from "./metrics.ts";
export { type WorkHandler, WorkQueue, type WorkQueueOptions, type WorkResult } from "./queue.ts";
export { onShutdown, type ShutdownOptions } from "./signals.ts";
export { MAX_TIMER_MS, sleep, timerDelay } from "./sleep.ts";
export {
  byLabel,
  byOwnerUid,
  type Change,
  type EventType,
  type Indexer,
  NAMESPACE_INDEX,
  objectKey,
  type Resource,
  Store,
  splitKey,
} from "./store.ts";
export { microTime, rfc3339 } from "./time.ts";
export { Watchdog } from "./watchdog.ts";
