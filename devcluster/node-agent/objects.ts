import { type ClusterClient, statusCode } from "@agentyard/kube-runtime";
import { LOCAL_IP } from "./status.ts";
import type { Pod } from "./types.ts";

/** A pod cannot start as specified (a missing object, an unsupported field); the message says which. */
export class ConfigError extends Error {}

/**
 * A pod this node will never run (a host folder it may not mount): it fails at once, as a pod the
 * kubelet's admission rejects, rather than waiting for a spec that cannot change.
 */
export class PodRejection extends Error {
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The data of a ConfigMap or Secret, decoded; undefined when it is missing and may be. */
export async function objectData(
  client: ClusterClient,
  namespace: string,
  kind: "ConfigMap" | "Secret",
  name: string,
  optional = false,
): Promise<Record<string, Buffer> | undefined> {
  const plural = kind === "Secret" ? "secrets" : "configmaps";
  const path = `/api/v1/namespaces/${namespace}/${plural}/${name}`;
  let obj: { data?: Record<string, string>; binaryData?: Record<string, string> };
  try {
    obj = await client.request("GET", path);
  } catch (err) {
    if (statusCode(err) === 404) {
      if (optional) return undefined;
      throw new ConfigError(`${kind.toLowerCase()} "${name}" not found`);
    }
    throw err;
  }
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(obj.data ?? {})) {
    out[k] = kind === "Secret" ? Buffer.from(v, "base64") : Buffer.from(v);
  }
  for (const [k, v] of Object.entries(obj.binaryData ?? {})) out[k] = Buffer.from(v, "base64");
  return out;
}

function mapLines(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join("\n");
}

/** A downward API field of the pod, for env values and downwardAPI volume files. */
export function fieldValue(pod: Pod, fieldPath: string): string {
  const m = pod.metadata;
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed) return (keyed[1] === "labels" ? m.labels : m.annotations)?.[keyed[2] as string] ?? "";
  switch (fieldPath) {
    case "metadata.name":
      return m.name;
    case "metadata.namespace":
      return m.namespace;
    case "metadata.uid":
      return m.uid;
    case "metadata.labels":
      return mapLines(m.labels);
    case "metadata.annotations":
      return mapLines(m.annotations);
    case "spec.nodeName":
      return pod.spec.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec.serviceAccountName ?? "default";
    case "status.podIP":
    case "status.podIPs":
    case "status.hostIP":
    case "status.hostIPs":
      return LOCAL_IP;
    default:
      throw new ConfigError(`fieldRef ${fieldPath} is not supported on agentyard-local`);
  }
}
