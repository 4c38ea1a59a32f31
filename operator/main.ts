import { hostname } from "node:os";
import {
  type ClusterClient,
  clientFromKubeconfigFile,
  createLogger,
  defaultClient,
  EventRecorder,
  type Logger,
  Manager,
  type ResourceType,
  RuntimeMetrics,
  stripManagedFields,
} from "@agentyard/kube-runtime";
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
import { type ClusterDeadlines, ClusterRegistry, taskKeyOf, warmOrgOf } from "./clusters.ts";
import { OPERATOR_IDENTITY } from "./identity.ts";
import { orgChangeConcernsTasks } from "./org-change.ts";
import { BY_ORG, QuotaGate } from "./quota.ts";
import { OrgReconciler } from "./reconcile/org.ts";
import { TaskReconciler } from "./reconcile/task.ts";
import { WarmPoolReconciler } from "./reconcile/warm-pool.ts";
import { warmTemplateHash } from "./render/warm-member.ts";
import type { TenancyPolicy } from "./tenancy.ts";

export interface OperatorOptions {
  /** A kubeconfig file; in-cluster config or $KUBECONFIG when omitted. */
  kubeconfig?: string;
  leaderElection: boolean;
  leaseNamespace: string;
  leaseName: string;
  /** How long a Lease is valid without renewal: the longest a standby waits after a leader dies. */
  leaseDurationMs: number;
  /** How long after its last renewal a leader that cannot renew stops acting; 2/3 of the lease by default. */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew; 2/15 of the lease by default (2 s of 15 s). */
  retryPeriodMs?: number;
  /** This replica's name in the Lease, its Events and, after the operator's, its user agent. */
  identity: string;
  concurrency: number;
  resyncMs: number;
  /** host:port of /healthz, /readyz and /metrics; "0" picks a free port. */
  metricsAddress: string;
  logLevel: string;
  agentImage?: string;
  editorImage?: string;
  /** The tailscale image of mesh mode sidecar. */
  tailscaleImage?: string;
  /** The namespace the operator runs in: no Org may take it (nor the Lease's). */
  operatorNamespace: string;
  /**
   * The namespaces where the platform team keeps the Secrets Orgs reference (kubeconfigs, git
   * credentials): an Org may name a Secret in no other, and may not take one of them as its own.
   */
  secretNamespaces: string[];
  /** How long each step of reaching an Org's own cluster may take; DEFAULT_CLUSTER_DEADLINES otherwise. */
  clusterDeadlines?: Partial<ClusterDeadlines>;
  log?: Logger;
}

export const defaultOperatorOptions = (): OperatorOptions => ({
  leaderElection: true,
  leaseNamespace: process.env.POD_NAMESPACE ?? "agentyard-system",
  operatorNamespace: process.env.POD_NAMESPACE ?? "agentyard-system",
  secretNamespaces: [process.env.POD_NAMESPACE ?? "agentyard-system"],
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
  /**
   * Resolves when this replica's term as leader ended: its reconciles were cancelled and have
   * returned. It does not campaign again; the process stops and exits, and is restarted a standby.
   */
  leadershipLost: Promise<void>;
  stop(): Promise<void>;
}

/** The user agent of a replica's requests: the operator's, then the replica's identity. */
export function operatorUserAgent(identity: string): string {
  return `${OPERATOR_IDENTITY.userAgent} (${identity})`;
}

/** How long after a task moves its Org's counts are written again: the moves within it share a write. */
const ORG_COUNTS_DELAY_MS = 1_000;

/**
 * How long after a member is bound (or goes) its pool is refilled: a burst of tasks binds first, and
 * the members made for it do not compete with the burst's own writes.
 */
const WARM_POOL_REFILL_DELAY_MS = 2_000;

const ORGS: ResourceType = { apiVersion: API_VERSION, kind: ORG_KIND, plural: ORG_PLURAL, namespaced: false };
const TASKS: ResourceType = {
  apiVersion: API_VERSION,
  kind: AGENT_TASK_KIND,
  plural: AGENT_TASK_PLURAL,
  namespaced: true,
};

/**
 * The management cluster's client, named as the operator and, in its user agent, as this replica:
 * the API server's audit log tells the replicas' requests apart.
 */
function connect(options: OperatorOptions): ClusterClient {
  const identity = {
    userAgent: operatorUserAgent(options.identity),
    fieldManager: OPERATOR_IDENTITY.fieldManager,
    metrics: new RuntimeMetrics({ prefix: OPERATOR_IDENTITY.metricPrefix }),
  };
  return options.kubeconfig
    ? clientFromKubeconfigFile(options.kubeconfig, "local", identity)
    : defaultClient("local", identity);
}

/** The operator: three controllers, Org, its warm pool and AgentTask, on one Manager. */
export async function runOperator(options: OperatorOptions): Promise<RunningOperator> {
  const log = options.log ?? createLogger(options.logLevel, { name: OPERATOR_IDENTITY.logName });
  const mgr = new Manager({
    client: connect(options),
    log,
    healthAddress: options.metricsAddress,
    controllerDefaults: { concurrency: options.concurrency, resyncMs: options.resyncMs },
    transform: stripManagedFields,
    ...(options.leaderElection
      ? {
          leaderElection: {
            namespace: options.leaseNamespace,
            name: options.leaseName,
            identity: options.identity,
            leaseDurationMs: options.leaseDurationMs,
            renewDeadlineMs: options.renewDeadlineMs ?? Math.round(options.leaseDurationMs * (2 / 3)),
            retryPeriodMs: options.retryPeriodMs ?? Math.round(options.leaseDurationMs * (2 / 15)),
            recampaign: false,
          },
        }
      : {}),
  });
  const local = mgr.client;
  const orgs = mgr.informer<Org>(ORGS);
  const tasks = mgr.informer<AgentTask>(TASKS, { indexers: { [BY_ORG]: (t) => [t.spec.org] } });
  const clusters = mgr.add(
    new ClusterRegistry(
      local,
      log.child({ component: "clusters" }),
      options.secretNamespaces,
      options.clusterDeadlines,
    ),
  );
  const quota = new QuotaGate(tasks);
  const tenancy: TenancyPolicy = {
    operatorNamespaces: [...new Set([options.operatorNamespace, options.leaseNamespace])],
    secretNamespaces: options.secretNamespaces,
  };
  const events = new EventRecorder(local, {
    reportingController: OPERATOR_IDENTITY.reportingController,
    identity: options.identity,
    log,
  });
  const tasksOf = (orgName: string) => tasks.byIndex(BY_ORG, orgName).map(taskKey);

  const taskReconciler = new TaskReconciler({
    local,
    tasks,
    orgs,
    clusters,
    quota,
    events,
    ...(options.agentImage ? { agentImage: options.agentImage } : {}),
    ...(options.editorImage ? { editorImage: options.editorImage } : {}),
    ...(options.tailscaleImage ? { tailscaleImage: options.tailscaleImage } : {}),
  });
  const taskController = mgr
    .controller("agenttask")
    .for(tasks, (t) => {
      // A task that ends (or goes) frees a slot: wake the tasks waiting in its Org.
      const frees = !t.status?.phase || isTerminal(t.status.phase) || t.metadata.deletionTimestamp;
      return frees ? [taskKey(t), ...quota.waitingKeys(t.spec.org)] : [taskKey(t)];
    })
    .owns(clusters.children, taskKeyOf)
    .watches(orgs, (o) => tasksOf(o.metadata.name as string), { when: orgChangeConcernsTasks })
    .reconcile((key, ctx) => taskReconciler.reconcile(key, ctx));

  const warmPool = new WarmPoolReconciler({
    orgs,
    clusters,
    ...(options.agentImage ? { agentImage: options.agentImage } : {}),
    ...(options.editorImage ? { editorImage: options.editorImage } : {}),
  });
  const poolController = mgr
    .controller("warmpool")
    .for(orgs)
    .watches(clusters.children, warmOrgOf, { delayMs: WARM_POOL_REFILL_DELAY_MS })
    .reconcile((key, ctx) => warmPool.reconcile(key, ctx));

  const orgReconciler = new OrgReconciler({
    local,
    orgs,
    tasks,
    clusters,
    events,
    tenancy,
    wakeTasks: (orgName) => {
      for (const key of tasksOf(orgName)) taskController.enqueue(key);
      poolController.enqueue(orgName);
    },
    warmTemplate: (org, cluster) => warmTemplateHash(org, warmPool.memberOptions(cluster)),
  });
  mgr
    .controller("org")
    .for(orgs)
    // The counts in an Org's status follow its tasks a moment late: a burst of tasks moving costs
    // one write of them, not one per move.
    .watches(tasks, (t) => [t.spec.org], { delayMs: ORG_COUNTS_DELAY_MS })
    .watches(clusters.children, warmOrgOf, { delayMs: ORG_COUNTS_DELAY_MS })
    .reconcile((key, ctx) => orgReconciler.reconcile(key, ctx));

  await mgr.start();
  void mgr.leadershipLost.then(() => log.error("lost the leader lease: this replica stops leading for good"));
  return {
    metricsUrl: mgr.healthUrl as string,
    isLeader: () => mgr.isLeader(),
    leadershipLost: mgr.leadershipLost,
    stop: async () => {
      await mgr.stop();
      await local.close();
    },
  };
}
