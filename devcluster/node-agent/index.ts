import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type BackoffOptions,
  type ClusterClient,
  clientFromKubeconfigFile,
  createLogger,
  type Logger,
  Manager,
  RuntimeMetrics,
  silentLogger,
  splitKey,
  statusCode,
} from "@agentyard/kube-runtime";
import type { ClusterInfo } from "../cluster.ts";
import { LocalPod, type PodContext, podDir } from "./local-pod.ts";
import { startLogServer } from "./logs.ts";
import { FIELD_MANAGER, LOCAL_NODE, NodeHeartbeat } from "./node.ts";
import { killMarked } from "./processes.ts";
import { ProgramCache } from "./program-cache.ts";
import { defaultPrograms, type ProgramTable } from "./programs.ts";
import { statusCurrent, statusPatch } from "./status.ts";
import type { Pod, PodStatus } from "./types.ts";

export { LOCAL_LABEL, LOCAL_NODE, LOCAL_TAINT } from "./node.ts";
export type { LocalProgram, PreparedProgram, ProgramTable } from "./programs.ts";
export { agentRuntime, codeServer, defaultPrograms, localShell } from "./programs.ts";

export interface NodeAgentOptions {
  /** A kubeconfig with the rights of a kubelet and more: the devcluster's admin one (dev only). */
  kubeconfig: string;
  nodeName?: string;
  /** Pods' folders and the node agent's own files; emptyDirs here outlive a restart of the agent. */
  workDir: string;
  /** Which images run as which local programs (default: defaultPrograms()). */
  programs?: ProgramTable;
  /**
   * The cluster's storage folder (ClusterInfo.storageDir), the only host folder pods may mount as
   * hostPath or PersistentVolume; without one, pods with such volumes are rejected.
   */
  storageDir?: string;
  log?: Logger;
  /** Delays before a container that exited is started again (default, as the kubelet: 10 s to 5 min). */
  restartBackoff?: BackoffOptions;
}

export interface NodeAgent {
  readonly nodeName: string;
  readonly workDir: string;
  /** A pod's folder: volumes/<volume>, logs/<container>.log, home. */
  podDir(uid: string): string;
  /** Kills every process it started and stops; the node and the pods' status stay for the next start. */
  stop(): Promise<void>;
}

const KUBELET_BACKOFF: BackoffOptions = { baseMs: 10_000, maxMs: 300_000 };
const DEFAULT_GRACE_SECONDS = 30;

/**
 * A node agent in the virtual-kubelet way: registers a Node, keeps it Ready, and runs the pods the
 * scheduler binds to it as processes on this machine, reporting their status as a kubelet would.
 */
export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const nodeName = options.nodeName ?? LOCAL_NODE;
  const { workDir } = options;
  const log = (options.log ?? silentLogger()).child({ node: nodeName });
  const client = clientFromKubeconfigFile(options.kubeconfig, `node-agent-${nodeName}`, {
    userAgent: "agentyard-node-agent",
    fieldManager: FIELD_MANAGER,
    // Several node agents (tests) and an operator (npm start) may share a process: a registry each.
    metrics: new RuntimeMetrics({ prefix: "agentyard_node_agent" }),
  });
  const cluster = client.kc.getCurrentCluster();
  if (!cluster) throw new Error(`${options.kubeconfig} names no current cluster`);
  const ca = cluster.caData
    ? Buffer.from(cluster.caData, "base64").toString()
    : cluster.caFile
      ? await readFile(cluster.caFile, "utf8")
      : "";
  await mkdir(join(workDir, "pods"), { recursive: true });
  // Processes of a node agent that died with this folder (pdeathsig ends only their leaders).
  await killMarked(`${workDir}#`, { prefix: true });

  const mgr = new Manager({ client, log });
  const informer = mgr.informer<Pod>(
    { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true },
    { fieldSelector: `spec.nodeName=${nodeName}` },
  );
  const logs = await startLogServer(workDir, (namespace, name, container) => {
    const uid = informer.get(namespace, name)?.metadata.uid;
    return uid && join(podDir(workDir, uid), "logs", `${container}.log`);
  });
  const heartbeat = new NodeHeartbeat(client, nodeName, logs.port, log);
  await heartbeat.start();
  const controller = mgr.controller(`node-agent-${nodeName}`, { concurrency: 4, resyncMs: 60_000 });
  const pods = new Map<string, LocalPod>();
  const prepared = new ProgramCache({ dir: join(workDir, "programs"), log: (line) => log.info(line) }, () => {
    for (const key of informer.keys()) controller.enqueue(key);
  });
  const programs = options.programs ?? defaultPrograms();
  const context = (key: string): PodContext => ({
    client,
    programs,
    prepared,
    workDir,
    storageDir: options.storageDir,
    server: new URL(cluster.server),
    ca,
    restartBackoff: options.restartBackoff ?? KUBELET_BACKOFF,
    wake: () => controller.enqueue(key),
  });

  controller.for(informer).reconcile(async (key) => {
    const { namespace, name } = splitKey(key);
    const pod = informer.get(namespace, name);
    let local = pods.get(key);
    if (local && pod?.metadata.uid !== local.uid) {
      // Gone from the API server (or replaced by a pod of the same name): so are its processes and files.
      pods.delete(key);
      await local.stop(0);
      await rm(local.dir, { recursive: true, force: true });
      local = undefined;
    }
    if (!pod) return undefined;
    if (pod.metadata.deletionTimestamp) {
      const grace =
        pod.metadata.deletionGracePeriodSeconds ??
        pod.spec.terminationGracePeriodSeconds ??
        DEFAULT_GRACE_SECONDS;
      if (local && !local.terminate(grace * 1000)) return undefined;
      pods.delete(key);
      if (local) await rm(local.dir, { recursive: true, force: true });
      await deletePod(client, pod);
      return undefined;
    }
    if (!local) {
      // A pod that finished before this node agent started stays finished.
      if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return undefined;
      local = new LocalPod(pod, context(key));
      pods.set(key, local);
    }
    const { status, nextAt } = await local.sync(pod);
    if (!statusCurrent(pod.status, status)) await patchStatus(client, pod, status);
    return nextAt === undefined ? undefined : { requeueAfterMs: Math.max(100, nextAt - Date.now()) };
  });

  // Orphans are known only once the pods are listed, and must go before any pod starts again.
  mgr.add({
    start: () =>
      informer
        .start()
        .then(() => removeOrphans(workDir, new Set(informer.list().map((p) => p.metadata.uid)))),
    stop: () => {},
  });
  await mgr.start();
  log.info({ workDir }, "node agent started");

  return {
    nodeName,
    workDir,
    podDir: (uid) => podDir(workDir, uid),
    async stop() {
      await mgr.stop();
      heartbeat.stop();
      await logs.close();
      await Promise.all([...pods.values()].map((p) => p.stop(0)));
      log.info("node agent stopped");
    },
  };
}

/** For `npm start`: the node agent of a running devcluster, its files in the cluster's folder. */
export function startDevNodeAgent(
  info: ClusterInfo,
  options: { logLevel?: string; log?: Logger } = {},
): Promise<NodeAgent> {
  return startNodeAgent({
    kubeconfig: info.kubeconfig,
    workDir: join(info.dir, "node-agent"),
    storageDir: info.storageDir,
    log: options.log ?? createLogger(options.logLevel ?? "info", { name: "node-agent" }),
  });
}

/** Folders of pods that no longer exist (deleted while the node agent was down). */
async function removeOrphans(workDir: string, uids: Set<string>): Promise<void> {
  for (const uid of await readdir(join(workDir, "pods"))) {
    if (!uids.has(uid)) await rm(podDir(workDir, uid), { recursive: true, force: true });
  }
}

/** The pod's status, as a kubelet patches it. */
async function patchStatus(client: ClusterClient, pod: Pod, status: PodStatus): Promise<void> {
  const { namespace, name, uid } = pod.metadata;
  await ignoreGone(
    client.request("PATCH", `/api/v1/namespaces/${namespace}/pods/${name}/status`, {
      contentType: "application/strategic-merge-patch+json",
      body: statusPatch(uid, status),
    }),
  );
}

/** The kubelet's last word on a pod being deleted: its processes are gone, so the object may go. */
async function deletePod(client: ClusterClient, pod: Pod): Promise<void> {
  const { namespace, name, uid } = pod.metadata;
  await ignoreGone(
    client.request("DELETE", `/api/v1/namespaces/${namespace}/pods/${name}`, {
      body: { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0, preconditions: { uid } },
    }),
  );
}

/** 404 and 409: the pod is gone, or is another pod of the same name, which the informer will bring. */
async function ignoreGone(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (err) {
    if (statusCode(err) !== 404 && statusCode(err) !== 409) throw err;
  }
}
