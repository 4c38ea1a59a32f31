import { hostname } from "node:os";
import {
  type ClusterClient,
  Controller,
  clientFromKubeconfigFile,
  createLogger,
  defaultClient,
  EventRecorder,
  Informer,
  LeaderElector,
  startHealthServer,
} from "@agentyard/kube-runtime";
import type { Logger } from "pino";
import {
  AGENT_TASK_KIND,
  AGENT_TASK_PLURAL,
  type AgentTask,
  API_VERSION,
  isTerminal,
  ORG_KIND,
  ORG_PLURAL,
  type Org,
  taskKey,
} from "../schema/index.ts";
import { ClusterRegistry } from "./clusters.ts";
import { BY_ORG, QuotaGate } from "./quota.ts";
import { OrgReconciler } from "./reconcile/org.ts";
import { TaskReconciler } from "./reconcile/task.ts";

export interface OperatorOptions {
  /** A kubeconfig file; in-cluster config or $KUBECONFIG when omitted. */
  kubeconfig?: string;
  leaderElection: boolean;
  leaseNamespace: string;
  leaseName: string;
  /** How long a Lease is valid without renewal: the longest a standby waits after a leader dies. */
  leaseDurationMs: number;
  identity: string;
  concurrency: number;
  resyncMs: number;
  /** host:port of /healthz, /readyz and /metrics; "0" picks a free port. */
  metricsAddress: string;
  logLevel: string;
  agentImage?: string;
  editorImage?: string;
  log?: Logger;
}

export const defaultOperatorOptions = (): OperatorOptions => ({
  leaderElection: true,
  leaseNamespace: process.env.POD_NAMESPACE ?? "agentyard-system",
  leaseName: "agentyard-operator",
  leaseDurationMs: 15_000,
  identity: process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
  concurrency: 8,
  resyncMs: 10 * 60_000,
  metricsAddress: "127.0.0.1:8081",
  logLevel: "info",
});

export interface RunningOperator {
  /** Where /healthz, /readyz and /metrics are served. */
  metricsUrl: string;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/** Wires informers, the two controllers, the cluster registry and leader election together. */
export async function runOperator(options: OperatorOptions): Promise<RunningOperator> {
  const log = options.log ?? createLogger(options.logLevel);
  const local: ClusterClient = options.kubeconfig
    ? clientFromKubeconfigFile(options.kubeconfig, "local")
    : defaultClient("local");

  const orgs = new Informer<Org>(
    local,
    { apiVersion: API_VERSION, kind: ORG_KIND, plural: ORG_PLURAL, namespaced: false },
    { log: log.child({ informer: "Org" }) },
  );
  const tasks = new Informer<AgentTask>(
    local,
    { apiVersion: API_VERSION, kind: AGENT_TASK_KIND, plural: AGENT_TASK_PLURAL, namespaced: true },
    { indexers: { [BY_ORG]: (t) => [t.spec.org] }, log: log.child({ informer: "AgentTask" }) },
  );
  const quota = new QuotaGate(tasks);
  const events = new EventRecorder(local, { identity: options.identity, log });
  const controllerOptions = { concurrency: options.concurrency, resyncMs: options.resyncMs, log };
  const taskController = new Controller("agenttask", controllerOptions);
  const orgController = new Controller("org", controllerOptions);
  const clusters = new ClusterRegistry(local, log.child({ component: "clusters" }), (key) =>
    taskController.enqueue(key),
  );
  const wakeTasks = (orgName: string) => {
    for (const t of tasks.byIndex(BY_ORG, orgName)) taskController.enqueue(taskKey(t));
  };

  const taskReconciler = new TaskReconciler({
    local,
    tasks,
    orgs,
    clusters,
    quota,
    events,
    ...(options.agentImage ? { agentImage: options.agentImage } : {}),
    ...(options.editorImage ? { editorImage: options.editorImage } : {}),
  });
  const orgReconciler = new OrgReconciler({
    local,
    orgs,
    tasks,
    clusters,
    events,
    wakeTasks,
  });

  taskController
    .watches(tasks, (t) => {
      // A task that ends (or goes) frees a slot: wake the tasks waiting in its Org.
      const frees = !t.status?.phase || isTerminal(t.status.phase) || t.metadata.deletionTimestamp;
      return frees ? [taskKey(t), ...quota.waitingKeys(t.spec.org)] : [taskKey(t)];
    })
    .watches(orgs, (o) => tasks.byIndex(BY_ORG, o.metadata.name as string).map(taskKey))
    .reconcile((key, ctx) => taskReconciler.reconcile(key, ctx));
  orgController
    .watches(orgs, (o) => [o.metadata.name as string])
    .watches(tasks, (t) => [t.spec.org])
    .reconcile((key) => orgReconciler.reconcile(key));

  await Promise.all([orgs.start(), tasks.start(), clusters.start()]);
  const health = await startHealthServer({
    address: options.metricsAddress,
    ready: () => orgs.hasSynced() && tasks.hasSynced(),
  });

  const startControllers = () => {
    log.info("leading: reconciling");
    orgController.start();
    taskController.start();
  };
  const stopControllers = async () => {
    await Promise.all([orgController.stop(), taskController.stop()]);
  };

  let elector: LeaderElector | undefined;
  if (options.leaderElection) {
    elector = new LeaderElector(local, {
      namespace: options.leaseNamespace,
      name: options.leaseName,
      identity: options.identity,
      leaseDurationMs: options.leaseDurationMs,
      renewDeadlineMs: Math.round(options.leaseDurationMs * (2 / 3)),
      retryPeriodMs: Math.max(500, Math.round(options.leaseDurationMs / 7)),
      log: log.child({ component: "leader-election" }),
    });
    void elector.run({
      onStartedLeading: startControllers,
      onStoppedLeading: () => {
        log.warn("lost the lease: stopping reconciles");
        void stopControllers();
      },
    });
  } else {
    startControllers();
  }

  let stopped = false;
  return {
    metricsUrl: health.url,
    isLeader: () => (elector ? elector.isLeader() : true),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopControllers();
      await elector?.release();
      clusters.stop();
      orgs.stop();
      tasks.stop();
      await health.close();
    },
  };
}
