import { parseAllDocuments } from "yaml";

/**
 * The devcluster's storage: rancher's local-path-provisioner as a process beside the control plane,
 * with the objects its release manifest (deploy/local-path-storage.yaml) installs, less its
 * Deployment, and a config that keeps every volume inside the cluster's own folder.
 */

/** The names the provisioner's flags default to, which its manifest uses too (localPathObjects checks). */
export const LOCAL_PATH = {
  namespace: "local-path-storage",
  serviceAccount: "local-path-provisioner-service-account",
  configMap: "local-path-config",
  storageClass: "local-path",
  provisioner: "rancher.io/local-path",
} as const;

/**
 * The provisioner's identity: a static token whose user is its ServiceAccount's, so that the
 * manifest's RoleBindings apply to it as they would to the ServiceAccount's own tokens.
 */
export const LOCAL_PATH_USER = `system:serviceaccount:${LOCAL_PATH.namespace}:${LOCAL_PATH.serviceAccount}`;
export const LOCAL_PATH_GROUPS = ["system:serviceaccounts", `system:serviceaccounts:${LOCAL_PATH.namespace}`];

const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
/** The node name the provisioner's config uses for "every node not listed". */
const ANY_NODE = "DEFAULT_PATH_FOR_NON_LISTED_NODES";

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
} & Record<string, unknown>;

/**
 * The objects to apply, from the text of the release manifest: its Namespace and RBAC as they are;
 * its StorageClass as the cluster's default; its ConfigMap with the helper pod and its scripts but
 * not its config.json, which names a folder on the host (the provisioner gets ours by `--config`).
 */
export function localPathObjects(manifestText: string): Manifest[] {
  const docs = parseAllDocuments(manifestText)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
  const objects = docs
    .filter((d) => d.kind !== "Deployment")
    .map((d) => {
      if (d.kind === "StorageClass") return defaultClass(d);
      if (d.kind === "ConfigMap") return withoutHostConfig(d);
      return d;
    });
  const named = (kind: string, name: string) =>
    objects.some((o) => o.kind === kind && o.metadata.name === name);
  const expected: [string, string][] = [
    ["Namespace", LOCAL_PATH.namespace],
    ["ServiceAccount", LOCAL_PATH.serviceAccount],
    ["ConfigMap", LOCAL_PATH.configMap],
    ["StorageClass", LOCAL_PATH.storageClass],
  ];
  for (const [kind, name] of expected) {
    if (!named(kind, name))
      throw new Error(
        `the local-path-provisioner manifest has no ${kind} ${name}: see devcluster/local-path.ts`,
      );
  }
  return objects;
}

function defaultClass(sc: Manifest): Manifest {
  if (sc.provisioner !== LOCAL_PATH.provisioner)
    throw new Error(`StorageClass ${sc.metadata.name} names provisioner ${String(sc.provisioner)}`);
  return {
    ...sc,
    metadata: {
      ...sc.metadata,
      annotations: {
        ...sc.metadata.annotations,
        [DEFAULT_CLASS_ANNOTATION]: "true",
      },
    },
    // What PVCs of this class rely on here, whatever a later manifest says: a volume is made on the
    // node its first pod is scheduled to, and goes with its claim.
    volumeBindingMode: "WaitForFirstConsumer",
    reclaimPolicy: "Delete",
  };
}

function withoutHostConfig(cm: Manifest): Manifest {
  const { "config.json": _hostConfig, ...data } = (cm.data ?? {}) as Record<string, string>;
  for (const key of ["setup", "teardown", "helperPod.yaml"]) {
    if (data[key] === undefined) throw new Error(`ConfigMap ${cm.metadata.name} has no ${key}`);
  }
  return { ...cm, data };
}

/** The provisioner's config.json: every node's volumes in one folder (the nodes share this machine). */
export function localPathConfig(volumesDir: string) {
  return { nodePathMap: [{ node: ANY_NODE, paths: [volumesDir] }] };
}

/**
 * `start` with the flags' defaults but for what a process outside the cluster must be told; the
 * namespace, ServiceAccount, ConfigMap and provisioner name are the defaults LOCAL_PATH repeats.
 */
export function localPathArgs(options: { kubeconfig: string; configFile: string }): string[] {
  return ["start", `--kubeconfig=${options.kubeconfig}`, `--config=${options.configFile}`];
}

/**
 * The provisioner reads settings from variables a pod would be given (POD_NAMESPACE,
 * SERVICE_ACCOUNT_NAME, CONFIG_MOUNT_PATH, KUBERNETES_SERVICE_HOST for its helper pods' logs, ...):
 * it gets none of the caller's, so that a run inside a pod cannot point it elsewhere.
 */
export function localPathEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { PATH: base.PATH ?? "/usr/bin:/bin" };
}
