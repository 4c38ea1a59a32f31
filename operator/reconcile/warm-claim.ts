import { type ClusterClient, statusCode } from "@agentyard/kube-runtime";
import { PatchStrategy, type V1Pod } from "@kubernetes/client-node";
import {
  ANNOTATION_ATTEMPT,
  ANNOTATION_WARM_TEMPLATE,
  agentSelector,
  LABEL_WARM_MEMBER,
  taskLabels,
} from "../../schema/contract/index.ts";
import { type AgentTask, keepsWarmPool, type Org } from "../../schema/index.ts";
import { ownerReference } from "../render/object.ts";
import { taskImage } from "../render/task.ts";

/**
 * Whether a member can run the task: a member has the Org's image and resources, so a task that
 * chose its own starts its own pod.
 */
export function bindsWarmMember(task: AgentTask, org: Org): boolean {
  return keepsWarmPool(org) && taskImage(task, org) === undefined && task.spec.agent?.resources === undefined;
}

const runningFirst = (pod: V1Pod) => (pod.status?.phase === "Running" ? 0 : 1);

/**
 * The idle members a task may bind, best first: of the Org's current template, not being deleted,
 * not ended, and (`usable`) with what the task takes over from them, such as the editor's password;
 * running ones before those still starting, the oldest first.
 */
export function bindableMembers(
  members: V1Pod[],
  template: string,
  usable: (pod: V1Pod) => boolean,
): V1Pod[] {
  return members
    .filter(
      (p) =>
        p.metadata?.annotations?.[ANNOTATION_WARM_TEMPLATE] === template &&
        !p.metadata?.deletionTimestamp &&
        p.status?.phase !== "Failed" &&
        p.status?.phase !== "Succeeded" &&
        usable(p),
    )
    .sort(
      (a, b) =>
        runningFirst(a) - runningFirst(b) ||
        String(a.metadata?.creationTimestamp ?? "").localeCompare(
          String(b.metadata?.creationTimestamp ?? ""),
        ),
    );
}

/**
 * Binds a member to the task: one patch of the pod, conditioned on the resourceVersion the cache
 * showed, gives it the task's labels (its Service selects it), the attempt, and the task as its
 * owner. Two tasks binding one member, or the pool deleting it meanwhile: one patch wins, the other
 * gets a conflict (or not found) and undefined, and tries the next member.
 */
export async function bindMember(
  client: ClusterClient,
  task: AgentTask,
  pod: V1Pod,
  attempt: number,
  remote: boolean,
  signal: AbortSignal,
): Promise<V1Pod | undefined> {
  const name = task.metadata.name as string;
  const patch = {
    metadata: {
      resourceVersion: pod.metadata?.resourceVersion,
      labels: { ...taskLabels(task.spec.org, name, task.metadata.uid), ...agentSelector(name) },
      annotations: { [ANNOTATION_ATTEMPT]: String(attempt), [ANNOTATION_WARM_TEMPLATE]: null },
      ...(remote ? {} : { ownerReferences: [ownerReference(task)] }),
    },
  };
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata?.namespace as string)}/pods/${encodeURIComponent(pod.metadata?.name as string)}`;
  try {
    return await client.request<V1Pod>("PATCH", path, {
      signal,
      body: patch,
      contentType: PatchStrategy.MergePatch,
      query: { fieldManager: client.identity.fieldManager },
    });
  } catch (err) {
    const code = statusCode(err);
    if (code === 409 || code === 404) return undefined;
    throw err;
  }
}

/** The member bound to the task for `attempt`, among its pods, while it runs. */
export function boundMemberOf(pods: V1Pod[], attempt: number): string | undefined {
  const pod = pods.find(
    (p) =>
      p.metadata?.labels?.[LABEL_WARM_MEMBER] !== undefined &&
      p.metadata?.annotations?.[ANNOTATION_ATTEMPT] === String(attempt) &&
      !p.metadata?.deletionTimestamp &&
      p.status?.phase !== "Failed" &&
      p.status?.phase !== "Succeeded",
  );
  return pod?.metadata?.labels?.[LABEL_WARM_MEMBER];
}

/** How long a bound member may be missing from the cache under its task before the cache is believed. */
const EXPECT_MS = 30_000;

/**
 * Members this process bound that its cache does not show as the task's yet: a reconcile in between
 * would otherwise bind a second member, or make a pod of its own.
 */
export class BoundMembers {
  private readonly bound = new Map<string, { pod: V1Pod; at: number }>();
  /** Members a reconcile of this process is binding now: another reconcile leaves them to it. */
  private readonly binding = new Set<string>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  remember(key: string, pod: V1Pod): void {
    const now = this.now();
    for (const [k, b] of this.bound) if (now - b.at >= EXPECT_MS) this.bound.delete(k);
    this.bound.set(key, { pod, at: now });
  }

  /**
   * Takes a member for one bind attempt, unless this process is binding it or bound it already: its
   * concurrent reconciles then never race each other for one member, only other replicas' would.
   */
  take(uid: string): boolean {
    if (this.binding.has(uid)) return false;
    for (const b of this.bound.values()) if (b.pod.metadata?.uid === uid) return false;
    this.binding.add(uid);
    return true;
  }

  release(uid: string): void {
    this.binding.delete(uid);
  }

  /** The member bound under `key` while `cached` does not hold it yet; forgotten once it does. */
  pending(key: string, cached: V1Pod[]): V1Pod | undefined {
    const b = this.bound.get(key);
    if (!b) return undefined;
    const seen = cached.some((p) => p.metadata?.uid === b.pod.metadata?.uid);
    if (seen || this.now() - b.at >= EXPECT_MS) {
      this.bound.delete(key);
      return undefined;
    }
    return b.pod;
  }
}
