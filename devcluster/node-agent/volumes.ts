import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import type { ClusterClient } from "@agentyard/kube-runtime";
import { hostFolder } from "./host-folders.ts";
import { ConfigError, fieldValue, objectData } from "./objects.ts";
import type { DownwardItem, KeyToPath, ObjectSource, Pod, Volume } from "./types.ts";

/** A projected ServiceAccount token the node agent keeps fresh, as the kubelet does. */
export interface TokenFile {
  file: string;
  audience?: string;
  expirationSeconds: number;
  /** When to ask for a new one (ms since the epoch): at 80% of its lifetime. */
  refreshAt: number;
}

export interface PodVolumes {
  /** Volume name → its folder on this machine. */
  dirs: Map<string, string>;
  tokens: TokenFile[];
}

const DEFAULT_MODE = 0o644;

/** Writes through a temporary file and a rename, so a reader never sees half a file (tokens are re-read). */
async function writeAtomic(file: string, data: Buffer | string, mode: number): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, file);
}

/** Item paths are relative and stay inside the volume, as the API server validates. */
function inside(dir: string, path: string): string {
  const rel = normalize(path);
  if (rel.startsWith("..") || rel.startsWith("/")) throw new ConfigError(`volume item path ${path} escapes`);
  return join(dir, rel);
}

async function writeItems(
  dir: string,
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  mode: number,
  what: string,
): Promise<void> {
  const chosen: KeyToPath[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of chosen) {
    const value = data[item.key];
    if (value === undefined) throw new ConfigError(`${what} has no key "${item.key}"`);
    await writeAtomic(inside(dir, item.path), value, item.mode ?? mode);
  }
}

async function writeObject(
  client: ClusterClient,
  pod: Pod,
  dir: string,
  kind: "ConfigMap" | "Secret",
  source: ObjectSource,
  mode: number,
): Promise<void> {
  const data = await objectData(client, pod.metadata.namespace, kind, source.name, source.optional);
  if (data) await writeItems(dir, data, source.items, mode, `${kind.toLowerCase()} "${source.name}"`);
}

async function writeDownward(pod: Pod, dir: string, items: DownwardItem[] | undefined, mode: number) {
  for (const item of items ?? []) {
    if (!item.fieldRef)
      throw new ConfigError("downwardAPI resourceFieldRef is not supported on agentyard-local");
    await writeAtomic(inside(dir, item.path), fieldValue(pod, item.fieldRef.fieldPath), item.mode ?? mode);
  }
}

/** A token for the pod's ServiceAccount bound to the pod, so it dies with the pod (TokenRequest). */
export async function requestToken(client: ClusterClient, pod: Pod, token: TokenFile): Promise<void> {
  const sa = pod.spec.serviceAccountName ?? "default";
  const answer = await client.request<{ status: { token: string; expirationTimestamp: string } }>(
    "POST",
    `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`,
    {
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: {
          // None means the API server's own audiences, as for the kubelet.
          audiences: token.audience ? [token.audience] : [],
          expirationSeconds: token.expirationSeconds,
          boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata.name, uid: pod.metadata.uid },
        },
      },
    },
  );
  await writeAtomic(token.file, answer.status.token, 0o600);
  const now = Date.now();
  const expires = Date.parse(answer.status.expirationTimestamp);
  token.refreshAt = now + 0.8 * (expires - now);
}

async function materialize(
  client: ClusterClient,
  pod: Pod,
  volume: Volume,
  dir: string,
): Promise<TokenFile[]> {
  await mkdir(dir, { recursive: true });
  if (volume.emptyDir) return [];
  if (volume.configMap) {
    await writeObject(
      client,
      pod,
      dir,
      "ConfigMap",
      volume.configMap,
      volume.configMap.defaultMode ?? DEFAULT_MODE,
    );
    return [];
  }
  if (volume.secret) {
    const { secretName: name, items, optional, defaultMode } = volume.secret;
    await writeObject(client, pod, dir, "Secret", { name, items, optional }, defaultMode ?? DEFAULT_MODE);
    return [];
  }
  if (volume.downwardAPI) {
    await writeDownward(pod, dir, volume.downwardAPI.items, volume.downwardAPI.defaultMode ?? DEFAULT_MODE);
    return [];
  }
  if (volume.projected) {
    const mode = volume.projected.defaultMode ?? DEFAULT_MODE;
    const tokens: TokenFile[] = [];
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken) {
        const { path, audience, expirationSeconds } = source.serviceAccountToken;
        const token: TokenFile = {
          file: inside(dir, path),
          expirationSeconds: expirationSeconds ?? 3600,
          refreshAt: 0,
        };
        if (audience) token.audience = audience;
        await requestToken(client, pod, token);
        tokens.push(token);
      } else if (source.configMap) await writeObject(client, pod, dir, "ConfigMap", source.configMap, mode);
      else if (source.secret) await writeObject(client, pod, dir, "Secret", source.secret, mode);
      else if (source.downwardAPI) await writeDownward(pod, dir, source.downwardAPI.items, mode);
      else
        throw new ConfigError(`volume "${volume.name}": this projection is not supported on agentyard-local`);
    }
    return tokens;
  }
  throw new ConfigError(
    `volume "${volume.name}": only emptyDir, configMap, secret, downwardAPI, projected, hostPath and persistentVolumeClaim volumes work on agentyard-local`,
  );
}

/**
 * Every volume of the pod as a folder: hostPath and persistentVolumeClaim volumes are folders in
 * `storageDir` (host-folders.ts), the others folders under `root`. emptyDirs keep their contents
 * across node agent restarts (as the kubelet's do); the other volumes are written anew from the API
 * server.
 */
export async function prepareVolumes(
  client: ClusterClient,
  pod: Pod,
  root: string,
  storageDir: string | undefined,
): Promise<PodVolumes> {
  const dirs = new Map<string, string>();
  const tokens: TokenFile[] = [];
  for (const volume of pod.spec.volumes ?? []) {
    const host = await hostFolder(client, pod, volume, storageDir);
    if (host) {
      dirs.set(volume.name, host);
      continue;
    }
    const dir = join(root, volume.name);
    tokens.push(...(await materialize(client, pod, volume, dir)));
    dirs.set(volume.name, dir);
  }
  return { dirs, tokens };
}
