import { mkdir, realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { type ClusterClient, statusCode } from "@agentyard/kube-runtime";
import { ConfigError, PodRejection } from "./objects.ts";
import type { HostPathSource, PersistentVolume, PersistentVolumeClaim, Pod, Volume } from "./types.ts";

/**
 * Volumes that are folders of this machine: hostPath, and the PersistentVolume a claim is bound to.
 * Pods run as the node agent's own user, so the one folder they may be given is the cluster's
 * storage folder (where its provisioner makes volumes); any other path rejects the pod.
 */

export const HOST_PATH_REJECTED = "HostPathNotAllowed";

/** Whether `path` is `root` or lies under it, by name (no file system access). */
export function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** The nearest folder of `path` that exists, itself included, with its symbolic links resolved. */
async function realAncestor(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try {
      return await realpath(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || p === dirname(p)) throw err;
    }
  }
}

/**
 * The folder `path` names if it lies in `storageDir`, by name and once symbolic links are followed
 * (a link made inside a volume must not lead out of it); a PodRejection otherwise.
 */
export async function storageFolder(
  storageDir: string | undefined,
  path: string,
  what: string,
): Promise<string> {
  const refuse = (why: string) => new PodRejection(HOST_PATH_REJECTED, `${what}: ${why}`);
  if (storageDir === undefined)
    throw refuse(`${path} is a host folder, and this node agent was given no storage folder to mount`);
  const outside = `${path} is outside ${storageDir}, the only host folder pods on agentyard-local may mount`;
  if (!isAbsolute(path)) throw refuse(`${path} is not an absolute path`);
  const folder = resolve(path);
  if (!within(resolve(storageDir), folder)) throw refuse(outside);
  const realStorage = await realpath(storageDir).catch(() => {
    throw new ConfigError(`${what}: the storage folder ${storageDir} does not exist`);
  });
  if (!within(realStorage, await realAncestor(folder))) throw refuse(outside);
  return folder;
}

/** Makes or checks the folder as the hostPath type asks; types other than folders are not supported. */
async function ensureFolder(folder: string, type: string | undefined, what: string): Promise<void> {
  if (type === undefined || type === "" || type === "DirectoryOrCreate") {
    await mkdir(folder, { recursive: true });
    return;
  }
  if (type !== "Directory")
    throw new ConfigError(`${what}: hostPath type ${type} is not supported on agentyard-local`);
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new ConfigError(`${what}: ${folder} is not a directory`);
}

async function hostPathFolder(
  source: HostPathSource,
  storageDir: string | undefined,
  what: string,
): Promise<string> {
  const folder = await storageFolder(storageDir, source.path, what);
  await ensureFolder(folder, source.type, what);
  return folder;
}

async function get<T>(client: ClusterClient, path: string, missing: string): Promise<T> {
  try {
    return await client.request<T>("GET", path);
  } catch (err) {
    if (statusCode(err) === 404) throw new ConfigError(missing);
    throw err;
  }
}

/** The folder of the PersistentVolume bound to the claim; until it is bound, the pod waits. */
async function claimFolder(
  client: ClusterClient,
  pod: Pod,
  claimName: string,
  storageDir: string | undefined,
  what: string,
): Promise<string> {
  const ns = pod.metadata.namespace;
  const claim = await get<PersistentVolumeClaim>(
    client,
    `/api/v1/namespaces/${ns}/persistentvolumeclaims/${claimName}`,
    `${what}: persistentvolumeclaim "${claimName}" not found`,
  );
  const unbound = new ConfigError(`${what}: persistentvolumeclaim "${claimName}" is not bound yet`);
  const pvName = claim.spec.volumeName;
  if (claim.status?.phase !== "Bound" || !pvName) throw unbound;
  const pv = await get<PersistentVolume>(
    client,
    `/api/v1/persistentvolumes/${pvName}`,
    `${what}: persistentvolume "${pvName}" not found`,
  );
  // The claim names the volume; the volume must name the claim back, or it is another's.
  if (pv.spec.claimRef?.uid !== claim.metadata.uid) throw unbound;
  const source = pv.spec.hostPath ?? (pv.spec.local && { path: pv.spec.local.path, type: "Directory" });
  if (!source)
    throw new ConfigError(
      `${what}: persistentvolume "${pvName}" is neither hostPath nor local, the kinds agentyard-local mounts`,
    );
  return hostPathFolder(source, storageDir, `${what} (persistentvolume "${pvName}")`);
}

/** The host folder a volume is, or undefined for volumes the node agent writes into the pod's folder. */
export async function hostFolder(
  client: ClusterClient,
  pod: Pod,
  volume: Volume,
  storageDir: string | undefined,
): Promise<string | undefined> {
  const what = `volume "${volume.name}"`;
  if (volume.hostPath) return hostPathFolder(volume.hostPath, storageDir, what);
  if (volume.persistentVolumeClaim)
    return claimFolder(client, pod, volume.persistentVolumeClaim.claimName, storageDir, what);
  return undefined;
}
