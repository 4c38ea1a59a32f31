import { randomBytes } from "node:crypto";
import {
  type ClusterClient,
  createIfAbsent,
  deleteIfExists,
  type Informer,
  type ReconcileContext,
  type ReconcileResult,
} from "@agentyard/kube-runtime";
import { type KubernetesObject, PatchStrategy, type V1Pod } from "@kubernetes/client-node";
import { fitLabel } from "../../schema/contract/index.ts";
import { keepsWarmPool, type Org } from "../../schema/index.ts";
import { BY_WARM_POOL, type ClusterRegistry, type OrgCluster } from "../clusters.ts";
import type { KubeObject } from "../render/object.ts";
import {
  type MemberRenderOptions,
  podOwner,
  renderWarmMember,
  warmTemplateHash,
} from "../render/warm-member.ts";
import { objectRef } from "./children.ts";
import { planWarmPool } from "./warm-pool-plan.ts";

export interface WarmPoolReconcilerDeps {
  orgs: Informer<Org>;
  clusters: ClusterRegistry;
  agentImage?: string;
  editorImage?: string;
  now?: () => Date;
}

/** The pool's members' names: the Org's, then a random suffix, as generateName would give. */
export function memberName(org: string): string {
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, "0").slice(-6);
  return `${fitLabel(`${org}-warm`, 63 - suffix.length - 1)}-${suffix}`;
}

async function create(
  client: ClusterClient,
  obj: KubeObject,
  signal: AbortSignal,
): Promise<KubernetesObject> {
  const path = await client.objects.pathOf(obj);
  return client.request<KubernetesObject>("POST", path.slice(0, path.lastIndexOf("/")), {
    signal,
    body: obj,
    query: { fieldManager: client.identity.fieldManager },
  });
}

async function setOwner(
  client: ClusterClient,
  obj: KubernetesObject,
  pod: KubernetesObject,
  signal: AbortSignal,
): Promise<void> {
  const ref = objectRef(
    obj.apiVersion ?? "v1",
    obj.kind as string,
    obj.metadata?.namespace as string,
    obj.metadata?.name,
  );
  await client.request("PATCH", await client.objects.pathOf(ref), {
    signal,
    body: { metadata: { ownerReferences: [podOwner(pod)] } },
    contentType: PatchStrategy.MergePatch,
  });
}

/**
 * Org → its warm pool (spec.warmPool) in its cluster: members made until there are `size` of the
 * current template, idle members of an older one or ended by the cluster replaced, a surplus
 * deleted. Bound members are their tasks'; the pool only counts them out. Every delete is
 * conditioned on the version the cache showed, so a member a task binds meanwhile stays.
 */
export class WarmPoolReconciler {
  private readonly d: WarmPoolReconcilerDeps;
  private readonly now: () => Date;

  constructor(deps: WarmPoolReconcilerDeps) {
    this.d = deps;
    this.now = deps.now ?? (() => new Date());
  }

  memberOptions(cluster: OrgCluster): MemberRenderOptions {
    return {
      remote: cluster.remote,
      ...(this.d.agentImage ? { agentImage: this.d.agentImage } : {}),
      ...(this.d.editorImage ? { editorImage: this.d.editorImage } : {}),
    };
  }

  async reconcile(name: string, { log, signal }: ReconcileContext): Promise<ReconcileResult> {
    const org = this.d.orgs.get(undefined, name);
    if (!org) return undefined;
    // Members only where the Org reconciler made the namespace ready; the Org's status change wakes the pool.
    const ready = org.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    const cluster = ready ? this.d.clusters.get(org) : undefined;
    if (!cluster) return undefined;
    const size = keepsWarmPool(org) && !org.metadata.deletionTimestamp ? (org.spec.warmPool?.size ?? 0) : 0;
    const key = `${cluster.namespace}/${name}`;
    const { pods, serviceAccounts, secrets } = cluster.children;
    const opts = this.memberOptions(cluster);
    const template = warmTemplateHash(org, opts);
    // Informers' objects come without their kind: it is named here for the deletes and patches below.
    const made = [
      ...serviceAccounts
        .byIndex(BY_WARM_POOL, key)
        .map((o) => ({ ...o, apiVersion: "v1", kind: "ServiceAccount" })),
      ...secrets.byIndex(BY_WARM_POOL, key).map((o) => ({ ...o, apiVersion: "v1", kind: "Secret" })),
    ];
    const plan = planWarmPool(size, template, pods.byIndex(BY_WARM_POOL, key), made, this.now());
    for (const { pod, why } of plan.delete) {
      const ref = objectRef("v1", "Pod", cluster.namespace, pod.metadata?.name);
      const meta = pod.metadata as { uid: string; resourceVersion: string };
      if (
        await deleteIfExists(cluster.client, ref, {
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
          signal,
        })
      ) {
        log.info({ member: pod.metadata?.name, why }, "deleted an idle warm pool member");
      }
    }
    for (const obj of plan.orphans) {
      const ref = objectRef("v1", obj.kind as string, cluster.namespace, obj.metadata?.name);
      await deleteIfExists(cluster.client, ref, { uid: obj.metadata?.uid as string, signal });
    }
    for (const { obj, pod } of plan.adopt) {
      await setOwner(cluster.client, obj, pod, signal);
    }
    if (plan.create > 0) {
      await Promise.all(
        Array.from({ length: plan.create }, () => this.makeMember(org, cluster, opts, signal)),
      );
      log.info({ created: plan.create, size }, "filled the warm pool");
    }
    return undefined;
  }

  /** One member: what its pod needs, the pod, what it owns, and then its earlier objects owned by it too. */
  private async makeMember(
    org: Org,
    cluster: OrgCluster,
    opts: MemberRenderOptions,
    signal: AbortSignal,
  ): Promise<void> {
    const member = memberName(org.metadata.name as string);
    const password = randomBytes(18).toString("base64url");
    const rendered = renderWarmMember(org, member, password, opts);
    await Promise.all(rendered.before.map((obj) => createIfAbsent(cluster.client, obj, { signal })));
    const pod = (await create(cluster.client, rendered.pod, signal)) as V1Pod;
    const owner = podOwner(pod);
    await Promise.all(rendered.after(owner).map((obj) => createIfAbsent(cluster.client, obj, { signal })));
    await Promise.all(rendered.before.map((obj) => setOwner(cluster.client, obj, pod, signal)));
  }
}
