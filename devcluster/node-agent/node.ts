import { availableParallelism, release, totalmem } from "node:os";
import type { ClusterClient, Logger } from "@agentyard/kube-runtime";
import { LOCAL_IP, timestamp } from "./status.ts";

export const LOCAL_NODE = "agentyard-local";
/** Dev Orgs select the node with this label and tolerate the taint of the same key. */
export const LOCAL_LABEL = "agentyard.dev/local";
export const LOCAL_TAINT = { key: LOCAL_LABEL, value: "true", effect: "NoSchedule" } as const;

export const FIELD_MANAGER = "agentyard-node-agent";
const LEASE_SECONDS = 40;
const APPLY = "application/apply-patch+yaml";
const applyQuery = { fieldManager: FIELD_MANAGER, force: true };

const arch = process.arch === "x64" ? "amd64" : process.arch;

/**
 * The Node: labelled like a kubelet's, plus ours; tainted so that only pods that tolerate running as
 * local processes land on it. No kwok annotation, so kwok leaves it alone.
 */
export function nodeObject(name: string) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/arch": arch,
        "kubernetes.io/os": process.platform,
        "kubernetes.io/hostname": name,
        [LOCAL_LABEL]: "true",
      },
    },
    spec: { taints: [LOCAL_TAINT] },
  };
}

function nodeStatus(name: string, kubeletPort: number) {
  const now = timestamp();
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  const resources = {
    cpu: String(availableParallelism()),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: "110",
  };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        condition("Ready", "True", "AgentyardNodeAgentReady", "the node agent runs pods as local processes"),
        condition("MemoryPressure", "False", "AgentyardNodeAgentReady", "not watched"),
        condition("DiskPressure", "False", "AgentyardNodeAgentReady", "not watched"),
        condition("PIDPressure", "False", "AgentyardNodeAgentReady", "not watched"),
      ],
      // Only this one: the API server would rather reach a kubelet by a Hostname address.
      addresses: [{ type: "InternalIP", address: LOCAL_IP }],
      daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
      nodeInfo: {
        architecture: arch,
        operatingSystem: process.platform,
        kernelVersion: release(),
        osImage: `${process.platform} (agentyard node agent)`,
        containerRuntimeVersion: "agentyard-local://1",
        kubeletVersion: "v0.0.0-agentyard-local",
        kubeProxyVersion: "",
        machineID: "",
        systemUUID: "",
        bootID: "",
      },
    },
  };
}

/**
 * Keeps the node Ready as the node lifecycle controller judges it: the Lease in kube-node-lease
 * renewed every 10 s (it takes a node whose Lease is older than its grace period for gone), and the
 * status with fresh heartbeat times every minute.
 */
export class NodeHeartbeat {
  private readonly client: ClusterClient;
  private readonly name: string;
  private readonly log: Logger;
  private readonly kubeletPort: number;
  private leaseTimer: ReturnType<typeof setInterval> | undefined;
  private statusTimer: ReturnType<typeof setInterval> | undefined;
  private uid = "";

  /** `kubeletPort` is where the API server finds the pods' logs (logs.ts). */
  constructor(client: ClusterClient, name: string, kubeletPort: number, log: Logger) {
    this.client = client;
    this.name = name;
    this.kubeletPort = kubeletPort;
    this.log = log;
  }

  /** Registers the node, reports it Ready and takes its Lease; then renews both until stopped. */
  async start(): Promise<void> {
    const node = await this.client.request<{ metadata: { uid: string } }>(
      "PATCH",
      `/api/v1/nodes/${this.name}`,
      {
        query: applyQuery,
        contentType: APPLY,
        body: nodeObject(this.name),
      },
    );
    this.uid = node.metadata.uid;
    await this.reportStatus();
    await this.renewLease();
    this.leaseTimer = setInterval(
      () => void this.renewLease().catch((err) => this.warn("lease", err)),
      10_000,
    );
    this.statusTimer = setInterval(
      () => void this.reportStatus().catch((err) => this.warn("status", err)),
      60_000,
    );
  }

  stop(): void {
    clearInterval(this.leaseTimer);
    clearInterval(this.statusTimer);
  }

  private warn(what: string, err: unknown): void {
    this.log.warn({ err: (err as Error).message }, `renewing the node's ${what} failed`);
  }

  private async reportStatus(): Promise<void> {
    await this.client.request("PATCH", `/api/v1/nodes/${this.name}/status`, {
      query: applyQuery,
      contentType: APPLY,
      body: nodeStatus(this.name, this.kubeletPort),
    });
  }

  private async renewLease(): Promise<void> {
    await this.client.request(
      "PATCH",
      `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.name}`,
      {
        query: applyQuery,
        contentType: APPLY,
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: {
            name: this.name,
            namespace: "kube-node-lease",
            // As the kubelet's: deleting the Node deletes its Lease.
            ownerReferences: [{ apiVersion: "v1", kind: "Node", name: this.name, uid: this.uid }],
          },
          spec: {
            holderIdentity: this.name,
            leaseDurationSeconds: LEASE_SECONDS,
            renewTime: new Date().toISOString().replace("Z", "000Z"),
          },
        },
      },
    );
  }
}
