/**
 * The parts of a Pod the node agent reads and writes, as the API server's JSON has them (timestamps
 * are strings; the typed client-node models would turn them into Dates).
 */

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface FieldRef {
  fieldPath: string;
}

export interface DownwardItem {
  path: string;
  fieldRef?: FieldRef;
  resourceFieldRef?: unknown;
  mode?: number;
}

export interface ObjectSource {
  name: string;
  items?: KeyToPath[];
  optional?: boolean;
}

export interface ProjectionSource {
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
  configMap?: ObjectSource;
  secret?: ObjectSource;
  downwardAPI?: { items?: DownwardItem[] };
  clusterTrustBundle?: unknown;
}

export interface Volume {
  name: string;
  emptyDir?: object;
  projected?: { sources?: ProjectionSource[]; defaultMode?: number };
  configMap?: ObjectSource & { defaultMode?: number };
  secret?: { secretName: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number };
  downwardAPI?: { items?: DownwardItem[]; defaultMode?: number };
  hostPath?: HostPathSource;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
}

export interface HostPathSource {
  path: string;
  /** "" (no check), DirectoryOrCreate, Directory, File, ...: what the path must be. */
  type?: string;
}

/** The parts of a PersistentVolumeClaim and its PersistentVolume that say which folder it is. */
export interface PersistentVolumeClaim {
  metadata: { name: string; namespace: string; uid: string };
  spec: { volumeName?: string };
  status?: { phase?: string };
}

export interface PersistentVolume {
  metadata: { name: string };
  spec: {
    hostPath?: HostPathSource;
    local?: { path: string };
    claimRef?: { namespace?: string; name?: string; uid?: string };
  };
}

export interface KeySelector {
  name: string;
  key: string;
  optional?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: KeySelector;
    configMapKeyRef?: KeySelector;
    fieldRef?: FieldRef;
    resourceFieldRef?: unknown;
  };
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

export interface Probe {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; scheme?: string };
  tcpSocket?: { port: number | string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: ContainerPort[];
  volumeMounts?: VolumeMount[];
  readinessProbe?: Probe;
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        signal?: number;
        reason: string;
        message?: string;
        startedAt: string;
        finishedAt: string;
        containerID?: string;
      };
    };

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: ContainerState;
  lastState: ContainerState | Record<string, never>;
}

export interface PodCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface PodStatus {
  phase?: string;
  /** Why the node rejected the pod (with phase Failed), as the kubelet's admission says it. */
  reason?: string;
  message?: string;
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatus[];
  podIP?: string;
  podIPs?: { ip: string }[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  startTime?: string;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
  };
  spec: {
    nodeName?: string;
    serviceAccountName?: string;
    restartPolicy?: "Always" | "OnFailure" | "Never";
    terminationGracePeriodSeconds?: number;
    initContainers?: Container[];
    containers: Container[];
    volumes?: Volume[];
  };
  status?: PodStatus;
}
