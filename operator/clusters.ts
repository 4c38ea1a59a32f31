import { createHash } from "node:crypto";
import {
  type ClusterClient,
  clientFromKubeConfig,
  Informer,
  type InformerHandler,
  type Runnable,
  type Source,
} from "@agentyard/kube-runtime";
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1PersistentVolumeClaim,
  V1Pod,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1Service,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  INFORMED_KINDS,
  type InformerField,
  LABEL_ORG,
  LABEL_TASK,
  LABEL_WARM_MEMBER,
  MANAGED_SELECTOR,
} from "../schema/contract/index.ts";
import { type Org, orgNamespace, taskKey } from "../schema/index.ts";
import { cachedChild } from "./cached-form.ts";
import { checkKubeconfig, KubeconfigRefused, kubeConfigOf } from "./kubeconfig-policy.ts";
import { describeRemoteError } from "./remote-error.ts";

/** Index of children by the task that owns them: "<namespace>/<task>". */
export const BY_TASK = "task";

/** Index of an Org's warm pool members, idle and bound, and what was made for them, by "<namespace>/<org>". */
export const BY_WARM_POOL = "warmPool";

export function warmPoolKeyOf(obj: KubernetesObject): string[] {
  const org = obj.metadata?.labels?.[LABEL_ORG];
  return org && obj.metadata?.labels?.[LABEL_WARM_MEMBER] ? [`${obj.metadata?.namespace}/${org}`] : [];
}

/** The Org a pool member, idle or bound, or an object made for one belongs to: its pool reconciles. */
export function warmOrgOf(obj: KubernetesObject): string[] {
  const labels = obj.metadata?.labels ?? {};
  const org = labels[LABEL_ORG];
  return org && labels[LABEL_WARM_MEMBER] ? [org] : [];
}

/** What each child informer caches; a kind added to the contract's table needs its type here. */
interface ChildTypes {
  deployments: V1Deployment;
  pods: V1Pod;
  configMaps: V1ConfigMap;
  services: V1Service;
  secrets: V1Secret;
  serviceAccounts: V1ServiceAccount;
  persistentVolumeClaims: V1PersistentVolumeClaim;
  roles: V1Role;
  roleBindings: V1RoleBinding;
}

export type ChildInformers = { [F in InformerField]: Informer<ChildTypes[F]> };

/** A cluster and namespace to act in: enough to delete what a task left there. */
export interface ClusterTarget {
  /** "local", or the kubeconfig Secret as <namespace>/<name>. */
  label: string;
  remote: boolean;
  client: ClusterClient;
  namespace: string;
}

/** Where an Org's agents run: the management cluster, or the Org's own cluster. */
export interface OrgCluster extends ClusterTarget {
  children: ChildInformers;
}

/** What went wrong on a cluster, in the operator's words: its own refusals as they are, a remote answer described, never quoted. */
export function describeClusterFailure(err: unknown): string {
  if (err instanceof ClusterUnreachable || err instanceof KubeconfigRefused) return err.message;
  return describeRemoteError(err);
}

/** The label of the cluster an Org names now, as tasks record it in status.cluster. */
export function clusterLabelOf(org: Org): string {
  const ref = org.spec.cluster?.kubeconfigSecretRef;
  return ref ? `${ref.namespace}/${ref.name}` : "local";
}

export class ClusterUnreachable extends Error {
  override readonly name = "ClusterUnreachable";
}

/** The task a child belongs to, by its label: children in an Org's own cluster have no owner references. */
export function taskKeyOf(obj: KubernetesObject): string[] {
  const task = obj.metadata?.labels?.[LABEL_TASK];
  return task && obj.metadata?.namespace
    ? [taskKey({ metadata: { namespace: obj.metadata.namespace, name: task } })]
    : [];
}

interface Remote {
  fingerprint: string;
  cluster: OrgCluster;
}

/** How long each remote step of resolving an Org's cluster may take. */
export interface ClusterDeadlines {
  /** The answer to GET /version. */
  probeMs: number;
  /** The first list of every child informer in the Org's cluster. */
  syncMs: number;
}

export const DEFAULT_CLUSTER_DEADLINES: ClusterDeadlines = { probeMs: 10_000, syncMs: 30_000 };

/** A server that answers /version says at least this much about itself. */
function isVersion(answer: unknown): boolean {
  return typeof (answer as { gitVersion?: unknown } | null)?.gitVersion === "string";
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10}s`;

/**
 * The clusters the operator drives: informers on the management cluster for every Org that runs
 * there, and per Org with its own cluster a client and informers scoped to its namespace. A rotated
 * kubeconfig Secret replaces the client and informers; a deleted Org stops them. `children` tells
 * of every change to a child in any of them, clusters that come later included: a controller
 * watches it as one source.
 */
export class ClusterRegistry implements Runnable {
  private readonly local: ClusterClient;
  private readonly log: Logger;
  private readonly handlers = new Set<InformerHandler<KubernetesObject>>();
  private localChildren: ChildInformers | undefined;
  private readonly remotes = new Map<string, Remote>();
  private readonly deadlines: ClusterDeadlines;
  private readonly secretNamespaces: readonly string[];
  readonly children: Source<KubernetesObject> = {
    on: (handler) => {
      this.handlers.add(handler);
      return () => this.handlers.delete(handler);
    },
  };

  /**
   * `secretNamespaces`: where kubeconfig Secrets may be read (the operator's --secret-namespaces);
   * an Org's is checked by its tenancy before it is resolved, a task's recorded one here.
   */
  constructor(
    local: ClusterClient,
    log: Logger,
    secretNamespaces: readonly string[],
    deadlines: Partial<ClusterDeadlines> = {},
  ) {
    this.local = local;
    this.log = log;
    this.secretNamespaces = secretNamespaces;
    this.deadlines = { ...DEFAULT_CLUSTER_DEADLINES, ...deadlines };
  }

  async start(): Promise<void> {
    const children = this.childInformers(this.local, undefined);
    await Promise.all(Object.values(children).map((informer) => informer.start()));
    this.localChildren = children;
  }

  /** Informers of the management cluster's children, once started. */
  localInformers(): ChildInformers {
    if (!this.localChildren) throw new Error("the cluster registry has not started");
    return this.localChildren;
  }

  /** The cluster of an Org as last resolved by the Org reconciler; undefined until then. */
  get(org: Org): OrgCluster | undefined {
    if (!org.spec.cluster) {
      return {
        label: "local",
        remote: false,
        client: this.local,
        namespace: orgNamespace(org),
        children: this.localInformers(),
      };
    }
    return this.remotes.get(org.metadata.name as string)?.cluster;
  }

  /**
   * Resolves an Org's cluster, reading its kubeconfig Secret anew (so a rotation is noticed) and
   * checking that the cluster answers. Throws KubeconfigRefused or ClusterUnreachable. Every step
   * on the Org's cluster has a deadline: a server that answers slowly, partly or not at all keeps
   * a worker no longer than that.
   */
  async resolve(org: Org): Promise<OrgCluster> {
    const ref = org.spec.cluster?.kubeconfigSecretRef;
    const name = org.metadata.name as string;
    if (!ref) {
      // An Org that moved back to the management cluster needs its former cluster's informers no more.
      this.forget(name);
      return this.get(org) as OrgCluster;
    }
    const label = clusterLabelOf(org);
    const kubeconfig = await this.readKubeconfig(ref.namespace, ref.name, ref.key);
    const checked = checkKubeconfig(kubeconfig);
    const fingerprint = createHash("sha256").update(kubeconfig).update(orgNamespace(org)).digest("hex");
    const known = this.remotes.get(name);
    if (known?.fingerprint === fingerprint) {
      await this.probe(known.cluster.client, label);
      return known.cluster;
    }
    // The Org's cluster sees the same user agent and field manager, and its requests are counted alike.
    const client = clientFromKubeConfig(kubeConfigOf(checked), `org:${name}`, this.local.identity);
    await this.probe(client, label);
    const namespace = orgNamespace(org);
    // The informers of a cluster known before stay until their successors have synced.
    const children = await this.syncInformers(client, namespace, label);
    if (known) {
      this.log.info({ org: name }, "the Org's kubeconfig changed; reconnected");
      this.stopInformers(known.cluster.children);
      void known.cluster.client.close();
    }
    const cluster: OrgCluster = { label, remote: true, client, namespace, children };
    this.remotes.set(name, { fingerprint, cluster });
    return cluster;
  }

  /**
   * The cluster a task recorded in status.cluster, to delete what it left there whatever its Org
   * says now: the Org's resolved cluster when it is that one, else a client made from the
   * kubeconfig Secret the label names (with the Org's key when the Org still names that Secret,
   * else "value"), checked and probed as resolve does, without informers. So cleanup reaches the
   * right cluster after the Org moved, went, or before the Org was resolved since a restart. A
   * client made for it is closed once `use` returns. Throws KubeconfigRefused (also for a Secret
   * outside the designated namespaces: status is not the place to name another) or ClusterUnreachable.
   */
  async withRecorded<T>(
    label: string,
    namespace: string,
    org: Org | undefined,
    use: (target: ClusterTarget) => Promise<T>,
  ): Promise<T> {
    if (label === "local") return use({ label, remote: false, client: this.local, namespace });
    const known = org ? this.remotes.get(org.metadata.name as string)?.cluster : undefined;
    if (known?.label === label) {
      await this.probe(known.client, label);
      return use({ label, remote: true, client: known.client, namespace });
    }
    const slash = label.indexOf("/");
    if (slash < 0) throw new KubeconfigRefused(`status.cluster "${label}" names no kubeconfig Secret`);
    const secretNamespace = label.slice(0, slash);
    if (!this.secretNamespaces.includes(secretNamespace)) {
      throw new KubeconfigRefused(
        `status.cluster "${label}" names a Secret outside the namespaces designated for Org Secrets (${this.secretNamespaces.join(", ") || "none"}): it is not read`,
      );
    }
    const ref = org?.spec.cluster?.kubeconfigSecretRef;
    const key = ref && clusterLabelOf(org as Org) === label ? ref.key : "value";
    const kubeconfig = await this.readKubeconfig(secretNamespace, label.slice(slash + 1), key);
    const checked = checkKubeconfig(kubeconfig);
    const client = clientFromKubeConfig(kubeConfigOf(checked), `recorded:${label}`, this.local.identity);
    try {
      await this.probe(client, label);
      return await use({ label, remote: true, client, namespace });
    } finally {
      await client.close();
    }
  }

  /** Stops what an Org's own cluster used; called when the Org is gone. */
  forget(orgName: string): void {
    const known = this.remotes.get(orgName);
    if (!known) return;
    this.stopInformers(known.cluster.children);
    void known.cluster.client.close();
    this.remotes.delete(orgName);
  }

  stop(): void {
    for (const name of [...this.remotes.keys()]) this.forget(name);
    if (this.localChildren) this.stopInformers(this.localChildren);
  }

  private async readKubeconfig(namespace: string, name: string, key: string): Promise<string> {
    let secret: V1Secret;
    try {
      secret = await this.local.core.readNamespacedSecret({ namespace, name });
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404)
        throw new KubeconfigRefused(`the kubeconfig Secret ${namespace}/${name} does not exist`);
      throw new ClusterUnreachable(
        `could not read the kubeconfig Secret ${namespace}/${name}: ${(err as Error).message}`,
      );
    }
    const value = secret.data?.[key];
    if (!value) {
      const keys = Object.keys(secret.data ?? {}).join(", ") || "none";
      throw new KubeconfigRefused(`the Secret ${namespace}/${name} has no key "${key}" (keys: ${keys})`);
    }
    return Buffer.from(value, "base64").toString("utf8");
  }

  private async probe(client: ClusterClient, label: string): Promise<void> {
    const { probeMs } = this.deadlines;
    let answer: unknown;
    try {
      answer = await client.request("GET", "/version", { timeoutMs: probeMs });
    } catch (err) {
      this.log.warn({ err, cluster: label }, "the Org's cluster does not answer");
      const why = describeRemoteError(err);
      throw new ClusterUnreachable(
        why === "timed out"
          ? `the cluster of ${label} does not answer within ${seconds(probeMs)}`
          : `the cluster of ${label} does not answer: ${why}`,
      );
    }
    if (!isVersion(answer)) {
      throw new ClusterUnreachable(
        `the cluster of ${label} does not answer: ${
          typeof answer === "string" ? "its answer could not be parsed" : "its answer is not a version"
        }`,
      );
    }
  }

  /**
   * Informers on an Org's cluster, once each has listed; those that have not within the deadline
   * are stopped with the others, and the error names them and says why the first of them failed.
   */
  private async syncInformers(
    client: ClusterClient,
    namespace: string,
    label: string,
  ): Promise<ChildInformers> {
    const { syncMs } = this.deadlines;
    const children = this.childInformers(client, namespace);
    const informers = Object.values(children);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, syncMs);
    });
    await Promise.race([Promise.all(informers.map((informer) => informer.start())), expired]);
    clearTimeout(timer);
    const pending = informers.filter((informer) => !informer.hasSynced());
    if (pending.length === 0) return children;
    this.stopInformers(children);
    const failure = pending.find((informer) => informer.lastError !== undefined)?.lastError;
    this.log.warn(
      { err: failure, cluster: label, pending: pending.map((i) => i.resource.plural) },
      "the Org's cluster answers, but its lists did not finish",
    );
    const kinds = pending.map((informer) => informer.resource.plural).join(", ");
    const why = failure === undefined ? "no answer yet" : describeRemoteError(failure);
    throw new ClusterUnreachable(
      `the cluster of ${label} answers, but listing its ${kinds} did not finish within ${seconds(syncMs)}: ${why}`,
    );
  }

  private childInformers(client: ClusterClient, namespace: string | undefined): ChildInformers {
    const entries = INFORMED_KINDS.map(({ informer: field, apiVersion, kind, plural }) => {
      const informer = new Informer<KubernetesObject>(
        client,
        { apiVersion, kind, plural, namespaced: true },
        {
          ...(namespace ? { namespace } : {}),
          labelSelector: MANAGED_SELECTOR,
          indexers: { [BY_TASK]: taskKeyOf, [BY_WARM_POOL]: warmPoolKeyOf },
          transform: cachedChild(kind),
          log: this.log.child({ informer: kind, cluster: client.name }),
        },
      );
      informer.on((type, obj, old) => {
        for (const handler of this.handlers) handler(type, obj, old);
      });
      return [field, informer] as const;
    });
    return Object.fromEntries(entries) as unknown as ChildInformers;
  }

  private stopInformers(children: ChildInformers): void {
    for (const informer of Object.values(children)) informer.stop();
  }
}
