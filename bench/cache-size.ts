import type { ClusterClient } from "@agentyard/kube-runtime";
import { INFORMED_KINDS, MANAGED_SELECTOR } from "../schema/contract/index.ts";
import { AGENT_TASK_PLURAL, API_VERSION, ORG_PLURAL } from "../schema/index.ts";

export interface CacheSize {
  objects: number;
  /** Bytes of the objects as JSON, as the operator's informers receive them. */
  jsonBytes: number;
  /** The part of it that is metadata.managedFields, which no reconciler reads and the caches drop. */
  managedFieldsBytes: number;
}

type Listed = { items: { metadata?: { managedFields?: unknown; [field: string]: unknown } }[] };

export function sizeOf(lists: readonly Listed[]): CacheSize {
  const size = { objects: 0, jsonBytes: 0, managedFieldsBytes: 0 };
  for (const list of lists) {
    for (const item of list.items) {
      size.objects++;
      size.jsonBytes += Buffer.byteLength(JSON.stringify(item));
      const managed = item.metadata?.managedFields;
      if (managed) size.managedFieldsBytes += Buffer.byteLength(JSON.stringify(managed));
    }
  }
  return size;
}

const collection = (apiVersion: string, plural: string) =>
  `${apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`}/${plural}`;

/** What the operator's informers on the management cluster hold: Orgs, AgentTasks, and its children. */
export async function operatorCacheSize(client: ClusterClient): Promise<CacheSize> {
  const lists = await Promise.all([
    client.request<Listed>("GET", collection(API_VERSION, ORG_PLURAL)),
    client.request<Listed>("GET", collection(API_VERSION, AGENT_TASK_PLURAL), { timeoutMs: 120_000 }),
    ...INFORMED_KINDS.map((k) =>
      client.request<Listed>("GET", collection(k.apiVersion, k.plural), {
        query: { labelSelector: MANAGED_SELECTOR },
        timeoutMs: 120_000,
      }),
    ),
  ]);
  return sizeOf(lists);
}
